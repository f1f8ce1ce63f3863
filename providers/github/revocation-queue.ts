import { createGitHubClient, httpStatus, type GitHubClient } from './client';
import { GitHubRateLimitedError, rateLimitWait } from './rate-limit';

export interface RevocationQueueOptions {
  /** `https://api.github.com` by default. */
  baseUrl?: string;
  /** How long to gather tokens into one request. */
  windowMs?: number;
  /** GitHub accepts up to 1000 credentials per request. */
  maxBatch?: number;
  /** Requests per batch, first one included, before giving the batch back to Temporal's retry. */
  maxAttempts?: number;
  /** A longer rate-limit wait is not waited out here: the batch fails and Temporal retries later. */
  maxWaitSeconds?: number;
}

interface Waiting {
  token: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * `POST /credentials/revoke` for many incidents at once. GitHub allows only 60 unauthenticated calls an
 * hour to it, so tokens submitted within a short window share one request (up to 1000), batches go
 * one at a time, and a rate limit holds the whole queue for as long as GitHub asks. Each submitter's
 * promise settles with its batch: resolved once GitHub accepted it (202), rejected otherwise.
 */
export class RevocationQueue {
  private readonly client: GitHubClient;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly maxAttempts: number;
  private readonly maxWaitSeconds: number;
  private pending: Waiting[] = [];
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(o: RevocationQueueOptions = {}) {
    // Unauthenticated: GitHub answers 403 to an authenticated call. No rate-limit retries in the
    // client: this queue does its own, for the whole batch, so attempts do not multiply.
    this.client = createGitHubClient({ baseUrl: o.baseUrl, rateLimitRetries: 0 });
    this.windowMs = o.windowMs ?? 50;
    this.maxBatch = Math.min(o.maxBatch ?? 1000, 1000);
    this.maxAttempts = o.maxAttempts ?? 4;
    this.maxWaitSeconds = o.maxWaitSeconds ?? 60;
  }

  /** Resolves when GitHub has accepted the token's revocation. */
  submit(token: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ token, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.sending = this.sending.then(() => this.send(batch));
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    try {
      await this.post([...new Set(batch.map((w) => w.token))]);
      for (const w of batch) w.resolve();
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  private async post(credentials: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.rest.credentials.revoke({ credentials });
        return;
      } catch (err) {
        const wait = rateLimitWait(err, attempt);
        // The error names no token: octokit's message is GitHub's, and GitHub does not echo credentials.
        if (wait === undefined) throw new Error(`GitHub refused the revocation request (HTTP ${httpStatus(err) ?? 'error'}): ${(err as Error).message}`);
        if (attempt >= this.maxAttempts || wait > this.maxWaitSeconds) {
          throw new GitHubRateLimitedError(
            `GitHub rate-limited the revocation of ${credentials.length} token(s) ${attempt} time(s); retry in ${wait}s`,
            wait,
          );
        }
        await new Promise((r) => setTimeout(r, wait * 1000));
      }
    }
  }
}
