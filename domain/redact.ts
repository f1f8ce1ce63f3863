import { redactText } from './credential';

// The one redaction mechanism: everything Leakstop writes for people or machines (logs, Slack,
// GitHub issues and comments, post-mortems, error messages, HTTP error bodies) passes through
// `redact`. Two layers: secret values this process has handled (registered when they enter the
// vault), in every encoding they could be written in; and credential shapes, for secrets that never
// reached the vault (a pasted token, a provider's error message).

const known = new Set<string>();

/** Remember a secret value so it is redacted wherever it shows up. Short values are too ambiguous. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 8) return;
  for (const form of encodings(value)) known.add(form);
}

/** The forms a secret could be written in: as is, base64 (both alphabets), URL-encoded. */
export function encodings(value: string): string[] {
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  return [...new Set([value, b64, b64.replace(/=+$/, ''), Buffer.from(value, 'utf8').toString('base64url'), encodeURIComponent(value)])];
}

const SHAPES: [RegExp, (m: string) => string][] = [
  // GitHub tokens: prefix kept so people know what it was.
  [/\b(gh[pousr]_)[A-Za-z0-9]{36}\b/g, (m) => `${m.slice(0, 4)}…[redacted]`],
  [/\bgithub_pat_[A-Za-z0-9_]{60,}\b/g, () => 'github_pat_…[redacted]'],
  // Slack tokens.
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, (m) => `${m.slice(0, 5)}…[redacted]`],
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, () => '[redacted private key]'],
  // AWS secret access keys: 40 chars of base64; a 40-hex commit SHA is not one.
  [/(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, (m) => (/^[0-9a-f]{40}$/.test(m) || !/[A-Z]/.test(m) || !/[a-z]/.test(m) ? m : '[redacted]')],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  for (const [pattern, replace] of SHAPES) out = out.replace(pattern, replace);
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
