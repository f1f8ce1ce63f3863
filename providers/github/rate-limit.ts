import { errorHeaders, httpStatus } from './client';

// GitHub's rules for a refused request (REST docs, "Rate limits for the REST API"): wait `retry-after`
// seconds when given; with `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`; otherwise wait at
// least a minute, longer on each further refusal.

const MINIMUM_WAIT_SECONDS = 60;

/** Seconds to wait before retrying after `err`, or undefined when `err` is not a rate limit. */
export function rateLimitWait(err: unknown, attempt: number, now = Date.now()): number | undefined {
  const status = httpStatus(err);
  if (status !== 403 && status !== 429) return undefined;
  const h = errorHeaders(err);
  if (h['retry-after'] !== undefined && Number.isFinite(Number(h['retry-after']))) return Math.max(0, Number(h['retry-after']));
  if (String(h['x-ratelimit-remaining']) === '0' && Number.isFinite(Number(h['x-ratelimit-reset']))) {
    // The reset is a whole second; one more makes sure the window has turned.
    return Math.max(0, Math.ceil(Number(h['x-ratelimit-reset']) - now / 1000)) + 1;
  }
  const message = String((err as { message?: unknown }).message ?? '');
  // A 403 without rate-limit signs is a refusal, not a limit.
  if (status === 403 && !/rate limit/i.test(message)) return undefined;
  return MINIMUM_WAIT_SECONDS * 2 ** Math.max(0, attempt - 1);
}

/** GitHub keeps refusing for now; Temporal's activity retry tries again later. Not permanent. */
export class GitHubRateLimitedError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'GitHubRateLimitedError';
  }
}
