import { redactText } from './credential';
import { fromLeakPatterns, looksLikeSecret, MIN_SECRET_LENGTH, PRIVATE_KEY_PATTERNS } from './secret-patterns';

// The one redaction mechanism: everything Leakstop writes for people or machines (logs, Slack,
// GitHub issues and comments, post-mortems, error messages, HTTP error bodies) passes through
// `redact`. Layers: secret values this process has handled (registered when they enter the vault),
// in every encoding they could be written in; private keys, found by their markers; and credential
// formats (domain/secret-patterns.ts), for secrets that never reached the vault (a pasted token, a
// provider's error message). Text an attacker wrote passes through here on the worker's main thread,
// so every layer is one pass over the text, whatever the text and however many secrets are known.

/** How many secret values a worker remembers (each with its encodings); the least recently registered are forgotten first. */
export const MAX_KNOWN_SECRETS = 10_000;

/**
 * Remember a secret value so it is redacted wherever it shows up. Only what looks like a credential is
 * kept (see looksLikeSecret): anything registered vanishes from every log and report, so a word must not be.
 * Registering a value again (the vault does on every read) makes it the most recent.
 */
export function registerSecret(value: string | undefined): void {
  if (value && looksLikeSecret(value)) known.register(value);
}

/** The forms a secret could be written in: as is, base64 (both alphabets), URL-encoded. */
export function encodings(value: string): string[] {
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  return [...new Set([value, b64, b64.replace(/=+$/, ''), Buffer.from(value, 'utf8').toString('base64url'), encodeURIComponent(value)])];
}

export function redact(text: string): string {
  const spans = [...known.find(text), ...privateKeys(text)];
  let out = spans.length ? replaceSpans(text, spans) : text;
  for (const { pattern, plausible, prefixed } of masks()) {
    out = out.replace(pattern, (m: string, ...rest: unknown[]) => {
      if (plausible && !plausible(m)) return m;
      return prefixed ? `${rest[0] as string}…[redacted]` : '[redacted]';
    });
  }
  // AWS access key ids are identifiers, shown as people know them (AKIA…WXYZ).
  return redactText(out);
}

/** Redacts every string inside a value (for structured log records and JSON bodies). */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const e = new Error(redact(value.message));
    e.name = value.name;
    e.stack = value.stack ? redact(value.stack) : undefined;
    return e as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, depth + 1)])) as T;
}

// ---- Credential formats -----------------------------------------------------------------------------

/** Private keys are not masked by a pattern: `privateKeys` finds them by their markers. */
const masks = fromLeakPatterns((patterns) =>
  [...patterns]
    .filter(([kind]) => kind !== 'private-key')
    .map(([, p]) => ({
      pattern: new RegExp(p.source, 'g'),
      plausible: p.plausible,
      // Group 1, when the format has one, is its prefix: people see what kind of secret it was.
      prefixed: new RegExp(`(?:${p.source})|`).exec('')!.length > 1,
    })),
);

interface Span {
  start: number;
  end: number;
  label: string;
}

const BEGIN = new RegExp(PRIVATE_KEY_PATTERNS.beginMarker, 'y');
const END = new RegExp(PRIVATE_KEY_PATTERNS.endMarker, 'y');
const BODY = new RegExp(`${PRIVATE_KEY_PATTERNS.bodyCharacter}*`, 'y');

/**
 * Each private key from its BEGIN marker to the first END marker after it; a key cut off before its
 * END (a truncated error message) as far as its body's characters go. Markers are found with indexOf
 * and the END search only moves forward, so each character is looked at a bounded number of times.
 */
function privateKeys(text: string): Span[] {
  const spans: Span[] = [];
  let end: { start: number; end: number } | null | undefined; // null: no END marker after the search point
  for (let at = text.indexOf(PRIVATE_KEY_PATTERNS.begin); at !== -1; at = text.indexOf(PRIVATE_KEY_PATTERNS.begin, at)) {
    const opened = matchAt(BEGIN, text, at);
    if (opened === undefined) {
      at += PRIVATE_KEY_PATTERNS.begin.length;
      continue;
    }
    if (end !== null && (end === undefined || end.start < opened)) end = nextEnd(text, opened);
    let stop: number;
    if (end) {
      stop = end.end;
    } else {
      stop = matchAt(BODY, text, opened)!;
      while (stop > opened && (text[stop - 1] === '\n' || text[stop - 1] === '\r')) stop--;
    }
    spans.push({ start: at, end: stop, label: '[redacted private key]' });
    at = stop;
  }
  return spans;
}

function nextEnd(text: string, from: number): { start: number; end: number } | null {
  for (let at = text.indexOf(PRIVATE_KEY_PATTERNS.end, from); at !== -1; at = text.indexOf(PRIVATE_KEY_PATTERNS.end, at + 1)) {
    const end = matchAt(END, text, at);
    if (end !== undefined) return { start: at, end };
  }
  return null;
}

/** Where a sticky pattern's match starting at `at` ends, if it matches there. */
function matchAt(sticky: RegExp, text: string, at: number): number | undefined {
  sticky.lastIndex = at;
  return sticky.test(text) ? sticky.lastIndex : undefined;
}

/** Replaces each span, overlapping ones merged (a private key's label wins). */
function replaceSpans(text: string, spans: Span[]): string {
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let done = 0;
  for (let i = 0; i < spans.length; ) {
    let { start, end, label } = spans[i]!;
    for (i++; i < spans.length && spans[i]!.start < end; i++) {
      end = Math.max(end, spans[i]!.end);
      if (spans[i]!.label !== '[redacted]') label = spans[i]!.label;
    }
    out += text.slice(done, start) + label;
    done = end;
  }
  return out + text.slice(done);
}

// ---- Secrets this process has handled ---------------------------------------------------------------

/** Every indexed window is this long; no registered form is shorter. */
const WINDOW = MIN_SECRET_LENGTH;
const BASE = 0x01000193;
/** BASE^(WINDOW-1) mod 2^32: what the character leaving the window contributed. */
const LEAVING = Array.from({ length: WINDOW - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);
/** Hashes are used as Map keys; 30 bits keep them small integers, which V8 hashes without allocating. */
const KEY_BITS = 0x3fffffff;
/** How many windows of a form are considered for its index entry. */
const CANDIDATE_WINDOWS = 8;
/** Most windows of a text match no form: one bit per hash's low FILTER_BITS bits (128 KiB, cache-sized) rules them out first. */
const FILTER_BITS = 20;
const FILTER_MASK = (1 << FILTER_BITS) - 1;

interface Entry {
  form: string;
  /** Where in the form its indexed window starts. */
  offset: number;
}

/**
 * The secret values this process has handled, each in every encoding, found in a text in one pass.
 * Every form is indexed under a hash of one WINDOW-long window of it; `find` rolls that hash along the
 * text and compares a form only where its window's hash occurs. A call costs O(text length) plus, per
 * window that matches, one comparison of at most the form's length: not a search per known secret.
 * A form's window is one that occurs once in it, in the least used bucket, so neither a repeating
 * value nor many values sharing an opening make a bucket's comparisons pile up. At most
 * MAX_KNOWN_SECRETS values (about five forms each) are kept; the least recently registered go first.
 */
class KnownSecrets {
  /** value → its forms; Map order is registration order, least recent first. */
  private readonly values = new Map<string, string[]>();
  /** form → how many registered values have it, and its index entry. */
  private readonly forms = new Map<string, { users: number; key: number; entry: Entry }>();
  private readonly index = new Map<number, Entry[]>();
  /** Whether any index entry has a hash with these low FILTER_BITS bits; `filterCounts` says how many (touched only on register). */
  private readonly filter = new Uint32Array(1 << (FILTER_BITS - 5));
  private readonly filterCounts = new Map<number, number>();

  register(value: string): void {
    const forms = this.values.get(value);
    if (forms) {
      this.values.delete(value);
      this.values.set(value, forms);
      return;
    }
    const fresh = encodings(value).filter((f) => f.length >= WINDOW);
    this.values.set(value, fresh);
    fresh.forEach((f) => this.add(f));
    if (this.values.size > MAX_KNOWN_SECRETS) {
      const [oldest, old] = this.values.entries().next().value!;
      this.values.delete(oldest);
      old.forEach((f) => this.remove(f));
    }
  }

  find(text: string): Span[] {
    const spans: Span[] = [];
    if (this.index.size === 0 || text.length < WINDOW) return spans;
    let h = 0;
    for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
    for (let i = 0; ; i++) {
      const bit = h & FILTER_MASK;
      const bucket = (this.filter[bit >>> 5]! & (1 << (bit & 31))) === 0 ? undefined : this.index.get(h & KEY_BITS);
      if (bucket) {
        for (const { form, offset } of bucket) {
          const start = i - offset;
          if (start >= 0 && text.startsWith(form, start)) spans.push({ start, end: start + form.length, label: '[redacted]' });
        }
      }
      if (i + WINDOW >= text.length) return spans;
      h = (Math.imul(h - Math.imul(text.charCodeAt(i), LEAVING), BASE) + text.charCodeAt(i + WINDOW)) | 0;
    }
  }

  private add(form: string): void {
    const had = this.forms.get(form);
    if (had) {
      had.users++;
      return;
    }
    let best: { key: number; entry: Entry; load: number } | undefined;
    const step = Math.max(1, Math.floor((form.length - WINDOW) / (CANDIDATE_WINDOWS - 1)));
    for (let offset = 0; offset + WINDOW <= form.length; offset += step) {
      const window = form.slice(offset, offset + WINDOW);
      if (form.indexOf(window) !== offset || form.indexOf(window, offset + 1) !== -1) continue;
      const key = windowHash(window);
      const load = this.index.get(key)?.length ?? 0;
      if (!best || load < best.load) best = { key, entry: { form, offset }, load };
    }
    best ??= { key: windowHash(form.slice(0, WINDOW)), entry: { form, offset: 0 }, load: 0 };
    this.forms.set(form, { users: 1, key: best.key, entry: best.entry });
    const bit = best.key & FILTER_MASK;
    this.filterCounts.set(bit, (this.filterCounts.get(bit) ?? 0) + 1);
    this.filter[bit >>> 5]! |= 1 << (bit & 31);
    const bucket = this.index.get(best.key);
    if (bucket) bucket.push(best.entry);
    else this.index.set(best.key, [best.entry]);
  }

  private remove(form: string): void {
    const had = this.forms.get(form)!;
    if (--had.users > 0) return;
    this.forms.delete(form);
    const bit = had.key & FILTER_MASK;
    const left = this.filterCounts.get(bit)! - 1;
    if (left > 0) this.filterCounts.set(bit, left);
    else {
      this.filterCounts.delete(bit);
      this.filter[bit >>> 5]! &= ~(1 << (bit & 31));
    }
    const rest = this.index.get(had.key)!.filter((e) => e !== had.entry);
    if (rest.length) this.index.set(had.key, rest);
    else this.index.delete(had.key);
  }
}

function windowHash(window: string): number {
  let h = 0;
  for (let i = 0; i < WINDOW; i++) h = (Math.imul(h, BASE) + window.charCodeAt(i)) | 0;
  return h & KEY_BITS;
}

const known = new KnownSecrets();
