import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPICallResult } from '@slack/web-api';
import type { SlackTokenSettings } from './settings';

// How this module talks to Slack's Web API: one WebClient per token (the token travels in the
// Authorization header, never in a body or a URL), to the configured origin only, with retries bounded
// to fit an activity's timeout. Errors are rebuilt from Slack's error code alone, so none can carry a
// token, whatever the SDK put in its own.

/** Slack answered `ok: false`; `code` is Slack's error (`invalid_auth`, `token_revoked`, …). */
export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    readonly code: string,
  ) {
    super(`Slack answered ${method} with ${code}`);
    this.name = 'SlackApiError';
  }
}

/** Slack keeps answering `ratelimited`; retryable: Temporal's activity retry tries again later. */
export class SlackRateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'SlackRateLimitedError';
  }
}

/** The SDK's own logs would only repeat what the errors below say; they are dropped. */
const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

export type CallSettings = Pick<SlackTokenSettings, 'apiUrl' | 'timeoutMs' | 'rateLimit'>;

/**
 * A client for one token (or none, for oauth.v2.access). `once`: the request is never re-sent by the SDK,
 * for calls that must not happen twice (a refresh token is spent by its first exchange).
 */
export function slackClient(s: CallSettings, token?: string, o: { once?: boolean } = {}): WebClient {
  return new WebClient(token, {
    slackApiUrl: s.apiUrl,
    // A method name can never redirect a call to another origin.
    allowAbsoluteUrls: false,
    timeout: s.timeoutMs,
    logger: silent,
    // Rate limits are handled below, bounded; the SDK's own wait is unbounded.
    rejectRateLimitedCalls: true,
    retryConfig: o.once ? { retries: 0 } : { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 500 },
  });
}

/**
 * Calls Slack, honouring `Retry-After` up to the configured bound: longer or repeated limits become a
 * SlackRateLimitedError (retryable). Slack's `ok: false` becomes a SlackApiError with its code.
 */
export async function callSlack<T extends WebAPICallResult>(s: CallSettings, method: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const wait = rateLimitWait(err);
      if (wait === undefined) throw rebuilt(method, err);
      if (attempt >= s.rateLimit.attempts || wait > s.rateLimit.maxWaitSeconds) {
        throw new SlackRateLimitedError(`Slack rate-limited ${method} ${attempt} time(s); retry in ${wait}s`, wait);
      }
      await new Promise((r) => setTimeout(r, wait * 1000));
    }
  }
}

/** Seconds Slack asked to wait, or undefined when `err` is not a rate limit. */
function rateLimitWait(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number; data?: { error?: string; response_metadata?: { retryAfter?: number } } };
  if (e?.code === ErrorCode.RateLimitedError) return Math.max(0, e.retryAfter ?? 1);
  // A `ratelimited` body without a usable Retry-After header: wait a second, as Slack's tier docs suggest the minimum.
  if (e?.code === ErrorCode.PlatformError && e.data?.error === 'ratelimited') return Math.max(1, e.data.response_metadata?.retryAfter ?? 1);
  return undefined;
}

function rebuilt(method: string, err: unknown): Error {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; original?: { name?: string; code?: string; cause?: { code?: string } } };
  switch (e?.code) {
    case ErrorCode.PlatformError:
      return new SlackApiError(method, String(e.data?.error ?? 'unknown_error').slice(0, 80));
    case ErrorCode.HTTPError:
      return new Error(`Slack answered ${method} with HTTP ${e.statusCode ?? 'error'}`);
    case ErrorCode.RequestError:
      // The request may have reached Slack: only its answer is known to be missing.
      return new Error(`no answer from Slack to ${method} (${e.original?.cause?.code ?? e.original?.code ?? e.original?.name ?? 'request error'})`);
    default:
      return new Error(`Slack ${method} failed (${(err as Error)?.name ?? 'error'})`);
  }
}
