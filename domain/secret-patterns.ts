// Every credential format Leakstop knows, each written once, in its provider's folder (the module's
// `patterns`, registered here by providers/catalog.ts): redaction masks them (domain/redact.ts), triggers
// recognise them when pasted or scanned, all from the same sources, so copies cannot drift apart.
// Private keys belong to no provider and live here. Pure and dependency-free.
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
  /** A stricter check before a pasted message is refused for it (masking may err on the safe side; refusing a paste may not). */
  readonly pasted?: (match: string) => boolean;
}

/** A provider's patterns: its formats in free text (`leaks`), and whatever its own code matches exactly. */
export interface ProviderPatterns {
  readonly leaks: Record<string, LeakPattern>;
  readonly [format: string]: unknown;
}

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

const registered = new Map<string, LeakPattern>(Object.entries(PRIVATE_KEY_PATTERNS.leaks));
let generation = 0;

/** A provider's formats join the set (providers/catalog.ts does it for every module, once). */
export function registerLeakPatterns(patterns: Record<string, LeakPattern>): void {
  for (const [kind, pattern] of Object.entries(patterns)) {
    if (registered.get(kind) === pattern) continue;
    registered.set(kind, pattern);
    generation++;
  }
}

/** Every credential format by kind: what redaction masks and what a pasted message is checked for. */
export function leakPatterns(): ReadonlyMap<string, LeakPattern> {
  return registered;
}

/** Changes whenever a format joins: users that compile the set rebuild it then. */
export const leakPatternsGeneration = () => generation;

/** Something compiled from the registered formats, rebuilt only when they change. */
export function fromLeakPatterns<T>(build: (patterns: ReadonlyMap<string, LeakPattern>) => T): () => T {
  let built: { generation: number; value: T } | undefined;
  return () => {
    if (built?.generation !== generation) built = { generation, value: build(registered) };
    return built.value;
  };
}

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

const wholeValue = fromLeakPatterns((patterns) => [...patterns.values()].map((p) => ({ ...p, exact: new RegExp(`^(?:${p.source})$`) })));
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
  if (wholeValue().some((p) => p.exact.test(value) && (p.plausible?.(value) ?? true)) || PEM_BLOCK.test(value)) return true;
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
