import { createHash } from 'node:crypto';
import { base62, crc32 } from '../github/token-format';
import { NPM_PATTERNS } from './patterns';

// Which npm registry token a value is, from its shape alone, and which entry of a registry's token list
// it is. Pure apart from hashing: the kind module, the provider and the tests share it.

export type NpmTokenFormat = 'npm' | 'legacy-uuid' | 'jwt' | 'verdaccio-aes';

export const NPM_FORMAT_LABELS: Record<NpmTokenFormat, string> = {
  npm: 'npm token (npm_…)',
  'legacy-uuid': 'legacy npm token (UUID)',
  jwt: 'registry token (JWT)',
  'verdaccio-aes': 'Verdaccio legacy token (AES)',
};

export interface NpmTokenMatch {
  format: NpmTokenFormat;
  /**
   * For `npm_…` tokens: whether the last six characters are the CRC32 of the 30 before them in base62,
   * as GitHub's tokens are (npm announced "the same format"; it does not publish which characters the
   * checksum covers). Informational only: nothing is refused for it.
   */
  checksum?: 'holds' | 'differs';
}

/** Real tokens are a few hundred characters at most; longer values are not matched at all. */
const MAX_LENGTH = 2048;
const NPM_EXACT = new RegExp(`^${NPM_PATTERNS.npmToken}$`);
const UUID_EXACT = new RegExp(`^${NPM_PATTERNS.legacyToken}$`);
const JWT_EXACT = new RegExp(`^${NPM_PATTERNS.jwt}$`);
// Verdaccio's legacy token: base64 of `<iv hex>:<ciphertext hex>` (@verdaccio/signature aesEncrypt).
const BASE64_EXACT = /^[A-Za-z0-9+/]{40,}={0,2}$/;
const AES_PAYLOAD = /^[0-9a-f]{32}:[0-9a-f]{16,}$/;

/** The format of `value`, whole; undefined when it is no npm registry token Leakstop knows. */
export function detectNpmToken(value: string): NpmTokenMatch | undefined {
  if (value.length > MAX_LENGTH) return undefined;
  const npm = NPM_EXACT.exec(value);
  if (npm) return { format: 'npm', checksum: base62(crc32(npm[1]!), 6) === npm[2] ? 'holds' : 'differs' };
  if (UUID_EXACT.test(value)) return { format: 'legacy-uuid' };
  if (JWT_EXACT.test(value)) return { format: 'jwt' };
  if (BASE64_EXACT.test(value) && AES_PAYLOAD.test(Buffer.from(value, 'base64').toString('latin1'))) return { format: 'verdaccio-aes' };
  return undefined;
}

/** A token as the npm CLI would make one with that entropy: for tests and examples. */
export function npmTokenWithChecksum(entropy30: string): string {
  return `npm_${entropy30}${base62(crc32(entropy30), 6)}`;
}

/**
 * What a JWT's payload says of itself, unverified (only the registry can verify it): the account and
 * the key of the token list entry it was issued as (Verdaccio's `token.key`). Used to find the entry to
 * revoke, never to decide who may do what.
 */
export function jwtClaims(token: string): { name?: string; key?: string } {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { name?: unknown; token?: { key?: unknown } };
    return {
      name: typeof claims.name === 'string' ? claims.name : undefined,
      key: typeof claims.token?.key === 'string' ? claims.token.key : undefined,
    };
  } catch {
    return {};
  }
}

/** A token list entry as the registry shows it: the token itself only masked. */
export interface ListedToken {
  /** The id the token is revoked by. */
  key: string;
  /** The registry's mask of the token: `eyJhb...P_U_I` (Verdaccio), a prefix (npmjs.org). */
  mask: string;
  readonly: boolean;
  cidr: string[];
  created?: string;
  /** npmjs.org: an automation token (bypasses 2FA for publishing). */
  automation?: boolean;
  /** What the registry calls the token's type, where it says (granular tokens). */
  type?: string;
}

/**
 * The entry of `entries` that is `token`: by the key a JWT carries, by npmjs.org's key (a SHA-512 of
 * the token), or by the mask when exactly one entry's mask fits. Undefined when none, or several, fit.
 */
export function listedEntryOf(token: string, entries: readonly ListedToken[]): ListedToken | undefined {
  const claimed = jwtClaims(token).key;
  if (claimed) return entries.find((e) => e.key === claimed);
  const hashed = createHash('sha512').update(token).digest('hex');
  const byHash = entries.find((e) => e.key === hashed);
  if (byHash) return byHash;
  const fits = entries.filter((e) => maskFits(e.mask, token));
  return fits.length === 1 ? fits[0] : undefined;
}

function maskFits(mask: string, token: string): boolean {
  const dots = mask.indexOf('...');
  if (dots < 0) return mask.length >= 4 && token.startsWith(mask);
  const head = mask.slice(0, dots);
  const tail = mask.slice(dots + 3);
  return head.length + tail.length >= 6 && token.startsWith(head) && token.endsWith(tail);
}
