import type { ProviderPatterns } from '../../domain/secret-patterns';

// GitHub tokens as they appear in text. Linear-time rules: domain/secret-patterns.ts.
// Classic formats (github.blog, "Behind GitHub's new authentication token formats", 2021): a prefix, 30
// base62 characters of entropy, then a 6-character CRC32 checksum. Fine-grained PATs publish no checksum.

// Lookarounds instead of \b: `_` is a word character, and a token glued to more base62 text is not a token.
const GITHUB_EDGE_BEFORE = '(?<![A-Za-z0-9_])';
const GITHUB_CLASSIC_PREFIX = 'gh[pousr]';
const GITHUB_ENTROPY_LENGTH = 30;
const GITHUB_CHECKSUM_LENGTH = 6;

export const GITHUB_PATTERNS = {
  edgeBefore: GITHUB_EDGE_BEFORE,
  edgeAfter: '(?![A-Za-z0-9_])',
  /** ghp (classic PAT), gho (OAuth), ghu (App user-to-server), ghs (App installation), ghr (App refresh). */
  classicPrefix: GITHUB_CLASSIC_PREFIX,
  entropyLength: GITHUB_ENTROPY_LENGTH,
  checksumLength: GITHUB_CHECKSUM_LENGTH,
  /** A classic token exactly; groups: prefix, entropy, checksum. */
  classicToken: `(${GITHUB_CLASSIC_PREFIX})_([A-Za-z0-9]{${GITHUB_ENTROPY_LENGTH}})([A-Za-z0-9]{${GITHUB_CHECKSUM_LENGTH}})`,
  /** A fine-grained PAT exactly. */
  fineGrainedToken: 'github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}',
  // In free text a token may be cut short or run on: any length from its entropy up is masked.
  leaks: {
    'github-classic-token': { source: `${GITHUB_EDGE_BEFORE}(${GITHUB_CLASSIC_PREFIX}_)[A-Za-z0-9]{${GITHUB_ENTROPY_LENGTH},}` },
    'github-fine-grained-token': { source: `${GITHUB_EDGE_BEFORE}(github_pat_)[A-Za-z0-9_]{${GITHUB_ENTROPY_LENGTH},}` },
  },
} as const satisfies ProviderPatterns;
