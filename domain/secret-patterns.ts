// Every credential format Leakstop knows, each written once: redaction masks them (domain/redact.ts),
// the Slack trigger refuses them when pasted (triggers/slack/secrets.ts) and providers recognise them,
// all from these sources, so the copies cannot drift apart again. One named export per provider, so
// each can move into its provider's folder. Pure and dependency-free.
//
// Redaction runs these over text an attacker may write, on the worker's main thread, so every pattern
// must stay linear on any input: an optional one-character lookbehind, a literal prefix, then
// character classes of bounded length, or one greedy run that nothing after it can make backtrack.
// Private keys are found by their markers with indexOf instead (a lazy `[\s\S]*?` to the END marker
// re-scans the rest of the text from every BEGIN).

/** A credential as it can appear in free text. */
export interface LeakPattern {
  /** Regular-expression source, unanchored. Group 1, when present, is the format's prefix: it carries no secret and may stay visible. */
  readonly source: string;
  /** A check on a match that the pattern alone cannot make; without it every match counts. */
  readonly plausible?: (match: string) => boolean;
}

/** A provider's patterns: its formats in free text (`leaks`), and whatever its own code matches exactly. */
interface ProviderPatterns {
  readonly leaks: Record<string, LeakPattern>;
  readonly [format: string]: unknown;
}

// ---- AWS IAM ----------------------------------------------------------------------------------------

export const AWS_PATTERNS = {
  /** An access key id, long-term (AKIA) or temporary (ASIA): an identifier, shown as AKIA…WXYZ, never a secret. */
  accessKeyId: '(?:AKIA|ASIA)[A-Z2-7]{16}',
  leaks: {
    /** A secret access key: 40 characters of base64, not part of a longer run. */
    'aws-secret-access-key': {
      source: '(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])',
      // Random base64 has both cases; a git SHA (hex) or a word in one case is not a key.
      plausible: (m: string) => /[A-Z]/.test(m) && /[a-z]/.test(m),
    },
  },
} as const satisfies ProviderPatterns;

// ---- GitHub tokens ----------------------------------------------------------------------------------
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

// ---- Slack ------------------------------------------------------------------------------------------

const SLACK_EDGE_BEFORE = '(?<![A-Za-z0-9_])';

export const SLACK_PATTERNS = {
  leaks: {
    /** Bot (b), user (p), workspace/app (a, o), legacy (s), refresh (r) tokens, and rotating tokens' refresh tokens (xoxe-). */
    'slack-token': { source: `${SLACK_EDGE_BEFORE}(xox[abposre]-)[A-Za-z0-9-]{10,}` },
    /** Access tokens issued by token rotation: xoxe.xoxp-…, xoxe.xoxb-… */
    'slack-rotated-token': { source: `${SLACK_EDGE_BEFORE}(xoxe\\.xox[bp]-)[A-Za-z0-9-]{10,}` },
    /** App-level tokens (Socket Mode). */
    'slack-app-token': { source: `${SLACK_EDGE_BEFORE}(xapp-)[A-Za-z0-9-]{10,}` },
    /** Incoming webhooks: whoever has the URL posts to the channel. Team and channel ids are bounded so a failed match stays short. */
    'slack-webhook-url': { source: '(hooks\\.slack\\.com/services/)T[A-Z0-9]{1,20}/B[A-Z0-9]{1,20}/[A-Za-z0-9]{8,}' },
  },
} as const satisfies ProviderPatterns;

// ---- Private keys (any provider) --------------------------------------------------------------------

const PRIVATE_KEY_BEGIN = '-----BEGIN ';
const PRIVATE_KEY_END = '-----END ';
// RSA, EC, DSA, OPENSSH, ENCRYPTED or none (PKCS #8); bounded, so checking a marker is constant work.
const PRIVATE_KEY_LABEL = '[A-Z ]{0,40}PRIVATE KEY-----';

export const PRIVATE_KEY_PATTERNS = {
  /** Literal starts of the markers, for indexOf. */
  begin: PRIVATE_KEY_BEGIN,
  end: PRIVATE_KEY_END,
  beginMarker: `${PRIVATE_KEY_BEGIN}${PRIVATE_KEY_LABEL}`,
  endMarker: `${PRIVATE_KEY_END}${PRIVATE_KEY_LABEL}`,
  /** What a PEM body is written with, also JSON-escaped (`\n`): a key cut off before its END is masked this far. */
  bodyCharacter: '[A-Za-z0-9+/=\\\\\\r\\n]',
  leaks: {
    /** The opening marker alone says a key follows. */
    'private-key': { source: `${PRIVATE_KEY_BEGIN}${PRIVATE_KEY_LABEL}` },
  },
} as const satisfies ProviderPatterns;

// ---- Every provider ---------------------------------------------------------------------------------

/** Every credential format by kind: what redaction masks and what a pasted message is checked for. */
export const LEAK_PATTERNS = {
  ...AWS_PATTERNS.leaks,
  ...GITHUB_PATTERNS.leaks,
  ...SLACK_PATTERNS.leaks,
  ...PRIVATE_KEY_PATTERNS.leaks,
} as const satisfies Record<string, LeakPattern>;

export type LeakKind = keyof typeof LEAK_PATTERNS;

// ---- What any secret looks like ---------------------------------------------------------------------

/** Bits per character; random keys score high, words and hex digests lower. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const classOf = (c: string) => (/[A-Z]/.test(c) ? 1 : /[a-z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 4);
/** How often neighbouring characters change class: random keys often, CamelCaseWords rarely. */
export function switches(s: string): number {
  let n = 0;
  for (let i = 1; i < s.length; i++) if (classOf(s[i]!) !== classOf(s[i - 1]!)) n++;
  return s.length > 1 ? n / (s.length - 1) : 0;
}

/** Shorter values are too ambiguous to hide wherever they appear; redaction indexes values by this many characters. */
export const MIN_SECRET_LENGTH = 12;
/** Longer values are not credentials (and would make matching them costly). */
export const MAX_SECRET_LENGTH = 8 * 1024;

const WHOLE_VALUE = (Object.values(LEAK_PATTERNS) as LeakPattern[]).map((p) => ({ ...p, exact: new RegExp(`^(?:${p.source})$`) }));
const PEM_BLOCK = new RegExp(`^\\s*${PRIVATE_KEY_PATTERNS.beginMarker}[^]*${PRIVATE_KEY_PATTERNS.endMarker}\\s*$`);

/**
 * Whether a value from a secret field is a secret to hide wherever it appears: it has a credential's
 * format, or it is random the way a key is (both cases, few symbols, high entropy, frequent changes of
 * character class). A word, a login, a path, a commit SHA, a UUID or a key id is not, so a sender
 * cannot make them vanish from every log and report by reporting them as a leaked secret. A secret of
 * a format not listed here may look less random than that (about 1 in 100 random 24-character keys
 * does): give its provider a pattern above.
 */
export function looksLikeSecret(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH) return false;
  // A real key does not repeat its opening; a crafted "secret" that does would make matching it costly.
  if (value.indexOf(value.slice(0, MIN_SECRET_LENGTH), 1) !== -1) return false;
  if (WHOLE_VALUE.some((p) => p.exact.test(value) && (p.plausible?.(value) ?? true)) || PEM_BLOCK.test(value)) return true;
  const symbols = value.length - (value.match(/[A-Za-z0-9]/g)?.length ?? 0);
  return (
    value.length >= 20 &&
    !/\s/.test(value) &&
    /[A-Z]/.test(value) &&
    /[a-z]/.test(value) &&
    symbols * 8 <= value.length &&
    entropy(value) >= 3.5 &&
    switches(value) >= 0.35
  );
}
