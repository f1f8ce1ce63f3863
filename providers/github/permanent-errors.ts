import { PermanentError } from '../types';
import { httpStatus } from './client';
import { rateLimitWait } from './rate-limit';

/**
 * GitHub answers that retrying cannot fix (no access, not found, rejected request) as PermanentError,
 * so the incident waits for a person; anything else (5xx, rate limits, network) stays retryable.
 * `what` names the target for people; GitHub's messages do not echo secrets.
 */
export function permanentFor(err: unknown, what: string): PermanentError | undefined {
  const status = httpStatus(err);
  const message = (err as Error).message;
  if (status === 404) return new PermanentError(`${what}: not found, or the token cannot see it (${message})`, 'not-found');
  if (status === 401) return new PermanentError(`${what}: GitHub rejected Leakstop's token (${message})`, 'denied');
  if (status === 403 && rateLimitWait(err, 1) === undefined) return new PermanentError(`${what}: access denied (${message})`, 'denied');
  if (status === 422 || status === 400) return new PermanentError(`${what}: GitHub rejected the request (${message})`, 'invalid');
  return undefined;
}
