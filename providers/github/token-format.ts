import { GITHUB_PATTERNS } from './patterns';

// Recognises GitHub tokens by their published formats. Pure and dependency-free, so triggers, providers
// and workflows can all use it.
//
// Classic formats (github.blog, "Behind GitHub's new authentication token formats", 2021): a prefix,
// 30 base62 characters of entropy, then a 6-character checksum: the CRC32 of those 30 characters
// written in base62 (0-9, A-Z, a-z) and left-padded with '0'. The checksum lets a scanner tell a real
// token from a look-alike without asking GitHub. Fine-grained PATs publish no checksum: shape only.

export type GitHubTokenKind = 'classic-pat' | 'oauth' | 'user-to-server' | 'installation' | 'refresh' | 'fine-grained-pat';

export interface GitHubTokenMatch {
  kind: GitHubTokenKind;
  /** Checksum correct (classic formats) or shape correct (fine-grained, which has no public checksum). */
  valid: boolean;
}

export interface FoundGitHubToken extends GitHubTokenMatch {
  token: string;
  /** Offset of the token in the scanned text. */
  index: number;
}

const CLASSIC_PREFIXES: Record<string, GitHubTokenKind> = {
  ghp: 'classic-pat',
  gho: 'oauth',
  ghu: 'user-to-server',
  ghs: 'installation',
  ghr: 'refresh',
};

/** How people read each kind, e.g. in instructions and summaries. */
export const GITHUB_TOKEN_KIND_LABELS: Record<GitHubTokenKind, string> = {
  'classic-pat': 'personal access token (classic)',
  oauth: 'OAuth app token',
  'user-to-server': 'GitHub App user token',
  installation: 'GitHub App installation token',
  refresh: 'GitHub App refresh token',
  'fine-grained-pat': 'fine-grained personal access token',
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ENTROPY_LENGTH = GITHUB_PATTERNS.entropyLength;
const CHECKSUM_LENGTH = GITHUB_PATTERNS.checksumLength;

const EDGE_BEFORE = GITHUB_PATTERNS.edgeBefore;
const EDGE_AFTER = GITHUB_PATTERNS.edgeAfter;
const CLASSIC_BODY = GITHUB_PATTERNS.classicToken;
const FINE_GRAINED_BODY = GITHUB_PATTERNS.fineGrainedToken;
const CLASSIC_EXACT = new RegExp(`^${CLASSIC_BODY}$`);
const FINE_GRAINED_EXACT = new RegExp(`^${FINE_GRAINED_BODY}$`);
const ANY_TOKEN = `${EDGE_BEFORE}(?:${GITHUB_PATTERNS.classicPrefix}_[A-Za-z0-9]{${ENTROPY_LENGTH + CHECKSUM_LENGTH}}|${FINE_GRAINED_BODY})${EDGE_AFTER}`;

/** The kind of GitHub token `text` is, and whether its checksum holds; undefined when it is not token-shaped. */
export function detectGitHubToken(text: string): GitHubTokenMatch | undefined {
  const classic = CLASSIC_EXACT.exec(text);
  if (classic) {
    const [, prefix, entropy, checksum] = classic;
    return { kind: CLASSIC_PREFIXES[prefix!]!, valid: classicChecksum(entropy!) === checksum };
  }
  if (FINE_GRAINED_EXACT.test(text)) return { kind: 'fine-grained-pat', valid: true };
  return undefined;
}

/** Every token-shaped string in free text, valid or not (a wrong checksum usually means a look-alike). */
export function findGitHubTokens(text: string): FoundGitHubToken[] {
  const found: FoundGitHubToken[] = [];
  for (const m of text.matchAll(new RegExp(ANY_TOKEN, 'g'))) {
    const match = detectGitHubToken(m[0]);
    if (match) found.push({ ...match, token: m[0], index: m.index! });
  }
  return found;
}

/** The 6-character checksum GitHub appends to 30 characters of entropy. */
export function classicChecksum(entropy: string): string {
  return base62(crc32(entropy), CHECKSUM_LENGTH);
}

/** `ghp_…wXyZ`: the kind stays visible, the secret does not. */
export function redactGitHubToken(token: string): string {
  const prefix = token.startsWith('github_pat_') ? 'github_pat_' : token.slice(0, 4);
  return `${prefix}…${token.slice(-4)}`;
}

/** Redacts every GitHub token found in free text (API errors and scanner payloads can echo them). */
export function redactGitHubTokens(text: string): string {
  return text.replace(new RegExp(ANY_TOKEN, 'g'), redactGitHubToken);
}

/** CRC-32 (IEEE 802.3, as zlib), of the UTF-8 bytes of `text`. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function base62(value: number, width: number): string {
  let out = '';
  for (let n = value; n > 0; n = Math.floor(n / 62)) out = BASE62[n % 62] + out;
  return out.padStart(width, '0');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
