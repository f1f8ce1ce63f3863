import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../respond';
import { header, type WebhookRequest } from './request';

/** Throws a 401 naming what is wrong (never what was expected). */
export type Authenticate = (req: WebhookRequest) => void;

/** Senders and Leakstop may disagree on the time by this much; older deliveries are replays. */
export const FRESHNESS_SECONDS = 5 * 60;

export function hmacHex(key: string, ...parts: (string | Buffer)[]): string {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/** Compares digests, so neither the content nor the length of the expected value leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const unauthorized = (reason: string) => new HttpError(401, reason);

function required(req: WebhookRequest, ...names: string[]): string {
  for (const name of names) {
    const value = header(req.headers, name);
    if (value) return value;
  }
  throw unauthorized(`missing ${names[0]} header`);
}

/** Unix seconds within FRESHNESS_SECONDS of now. */
function requireFresh(timestamp: string, now: () => number): void {
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(timestamp)) throw unauthorized('malformed timestamp');
  if (Math.abs(now() / 1000 - Number(timestamp)) > FRESHNESS_SECONDS) throw unauthorized('stale timestamp');
}

/** GitHub: `X-Hub-Signature-256: sha256=<HMAC(secret, body)>`; any of the secrets (rotation). */
export function githubSignature(secrets: readonly string[]): Authenticate {
  return (req) => {
    const given = required(req, 'X-Hub-Signature-256');
    const ok = secrets.some((secret) => secret !== '' && sameSecret(given, `sha256=${hmacHex(secret, req.raw)}`));
    if (!ok) throw unauthorized('bad signature');
  };
}

/**
 * GitGuardian: `Gitguardian-Signature: sha256=<HMAC(Timestamp + token, body)>`. The key, not the
 * message, carries the timestamp. `X-GitGuardian-Signature` is GitGuardian's deprecated name.
 */
export function gitguardianSignature(token: string, now: () => number): Authenticate {
  return (req) => {
    const given = required(req, 'Gitguardian-Signature', 'X-GitGuardian-Signature');
    const timestamp = required(req, 'Timestamp');
    if (token === '' || !sameSecret(given, `sha256=${hmacHex(timestamp + token, req.raw)}`)) throw unauthorized('bad signature');
    requireFresh(timestamp, now);
  };
}

/** Leakstop's own scheme: `X-Leakstop-Signature: sha256=<HMAC(secret, timestamp + "." + body)>`. */
export function leakstopSignature(secret: string, now: () => number): Authenticate {
  return (req) => {
    const timestamp = required(req, 'X-Leakstop-Timestamp');
    const given = required(req, 'X-Leakstop-Signature');
    if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized('malformed timestamp');
    if (secret === '' || !sameSecret(given, `sha256=${hmacHex(secret, timestamp, '.', req.raw)}`)) throw unauthorized('bad signature');
    requireFresh(timestamp, now);
  };
}

/** A shared secret sent as is, e.g. by an EventBridge API destination's API-key connection. */
export function sharedSecretHeader(name: string, secret: string): Authenticate {
  return (req) => {
    const given = required(req, name);
    if (secret === '' || !sameSecret(given, secret)) throw unauthorized(`bad ${name}`);
  };
}
