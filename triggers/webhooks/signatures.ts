import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../respond';
import type { DeliveryKey } from './delivery-log';
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

// What each scheme signs, as the delivery log keys it (delivery-log.ts). Unsigned headers such as
// X-GitHub-Delivery are not part of a key: a replay could change them freely.

/** A timestamped delivery authenticates while its timestamp is within FRESHNESS_SECONDS either side of now: twice that, and a minute. */
export const DATED_REPLAY_MS = (2 * FRESHNESS_SECONDS + 60) * 1000;
/** An undated delivery authenticates forever; it is remembered this long, and the log bounds how many. */
export const UNDATED_REPLAY_MS = 72 * 60 * 60 * 1000;

/** SHA-256 of the parts, each length-prefixed so that no two different splits hash alike; 128 bits is plenty. */
function digestOf(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part);
  return hash.digest('hex').slice(0, 32);
}

/** GitHub signs the body alone; its delivery id only names the first delivery for people. */
export const githubDeliveryKey = (req: WebhookRequest): DeliveryKey => ({
  digest: digestOf(req.raw),
  ttlMs: UNDATED_REPLAY_MS,
  label: header(req.headers, 'X-GitHub-Delivery'),
});

/** GitGuardian's signature covers the Timestamp header (in its key) and the body. */
export const gitguardianDeliveryKey = (req: WebhookRequest): DeliveryKey => ({ digest: digestOf(header(req.headers, 'Timestamp') ?? '', req.raw), ttlMs: DATED_REPLAY_MS });

/** Leakstop's own scheme signs `timestamp + "." + body`. */
export const leakstopDeliveryKey = (req: WebhookRequest): DeliveryKey => ({ digest: digestOf(header(req.headers, 'X-Leakstop-Timestamp') ?? '', req.raw), ttlMs: DATED_REPLAY_MS });

/**
 * A shared secret header signs nothing, and whoever captured a delivery holds the header too: the log
 * only stops the exact body coming twice (an EventBridge event carries its own id and time).
 */
export const sharedSecretDeliveryKey = (req: WebhookRequest): DeliveryKey => ({ digest: digestOf(req.raw), ttlMs: UNDATED_REPLAY_MS });
