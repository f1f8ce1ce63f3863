import type { ActionResult } from '../../domain/results';
import { PermanentError } from '../types';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './client';
import { permanentFor } from './permanent-errors';
import { repoParts } from './specs';

export interface AlertLocation {
  /** `commit`, `issue_body`, `pull_request_comment`, …; path, line and commit are set for commits. */
  type: string;
  path?: string;
  startLine?: number;
  commitSha?: string;
  blobUrl?: string;
}

export interface SecretScanningAlert {
  secretType: string;
  /**
   * The raw leaked secret, as GitHub returns it. Hand it to the vault at once; it must not travel in a
   * workflow, a log or an error.
   */
  secret: string;
  state: 'open' | 'resolved';
  htmlUrl: string;
  publiclyLeaked?: boolean;
  locations: AlertLocation[];
}

/** GitHub secret scanning alerts: where a leak was found, and closing the alert once the secret is dead. */
export class GitHubSecretScanningAlerts {
  private readonly client: GitHubClient;

  constructor(o: GitHubClientOptions) {
    this.client = createGitHubClient(o);
  }

  async readAlert(repository: string, number: number): Promise<SecretScanningAlert> {
    const { owner, repo } = repoParts(repository);
    const what = `secret scanning alert ${number} of ${repository}`;
    try {
      const { data: a } = await this.client.rest.secretScanning.getAlert({ owner, repo, alert_number: number });
      if (!a.secret || !a.secret_type || !a.state || !a.html_url) {
        throw new PermanentError(`${what}: GitHub returned it without its secret, type, state or URL (does the token have secret scanning read access?)`, 'denied');
      }
      return {
        secretType: a.secret_type,
        secret: a.secret,
        state: a.state,
        htmlUrl: a.html_url,
        publiclyLeaked: a.publicly_leaked ?? undefined,
        locations: await this.locations(owner, repo, number),
      };
    } catch (err) {
      throw permanentFor(err, what) ?? err;
    }
  }

  /** Resolves the alert as `revoked`; an alert already resolved is left as it is. */
  async resolveAlert(repository: string, number: number, comment: string): Promise<ActionResult> {
    const { owner, repo } = repoParts(repository);
    const what = `secret scanning alert ${number} of ${repository}`;
    try {
      const { data: a } = await this.client.rest.secretScanning.getAlert({ owner, repo, alert_number: number });
      if (a.state === 'resolved') return { summary: `${what} was already resolved (${a.resolution ?? 'no resolution'})`, changed: false };
      await this.client.rest.secretScanning.updateAlert({ owner, repo, alert_number: number, state: 'resolved', resolution: 'revoked', resolution_comment: comment });
      return { summary: `resolved ${what} as revoked`, changed: true };
    } catch (err) {
      throw permanentFor(err, what) ?? err;
    }
  }

  private async locations(owner: string, repo: string, alert_number: number): Promise<AlertLocation[]> {
    const out: AlertLocation[] = [];
    // Pages of 100; an alert with more than a few hundred locations is summarised by its first ones.
    for (let page = 1; page <= 5; page++) {
      const { data } = await this.client.rest.secretScanning.listLocationsForAlert({ owner, repo, alert_number, per_page: 100, page });
      for (const l of data) {
        const d = (l.details ?? {}) as { path?: string; start_line?: number; commit_sha?: string; blob_url?: string };
        out.push({ type: l.type ?? 'unknown', path: d.path, startLine: d.start_line, commitSha: d.commit_sha, blobUrl: d.blob_url });
      }
      if (data.length < 100) break;
    }
    return out;
  }
}
