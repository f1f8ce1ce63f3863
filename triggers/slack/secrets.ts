// People under pressure paste the secret instead of its id. Whatever looks like a secret is
// never repeated back to Slack, never logged and never passed on; the reply only says it happened.

export type PastedSecret = 'aws-secret-key' | 'github-token' | 'slack-token' | 'private-key' | 'high-entropy';

const PATTERNS: [PastedSecret, RegExp][] = [
  ['private-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['github-token', /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/],
  ['slack-token', /\bxox[abposer]-[A-Za-z0-9-]{10,}/],
];

/** An AWS secret access key: 40 characters of base64, not part of a longer run. */
const AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** Bits per character; random keys score high, words and hex digests lower. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** Upper, lower and digits together: a git SHA (hex, one case) or a path of words does not qualify. */
const mixed = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

const classOf = (c: string) => (/[A-Z]/.test(c) ? 1 : /[a-z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 4);
/** How often neighbouring characters change class: random keys often, CamelCaseWords rarely. */
export function switches(s: string): number {
  let n = 0;
  for (let i = 1; i < s.length; i++) if (classOf(s[i]!) !== classOf(s[i - 1]!)) n++;
  return s.length > 1 ? n / (s.length - 1) : 0;
}

export function findSecret(text: string): PastedSecret | undefined {
  for (const [kind, re] of PATTERNS) if (re.test(text)) return kind;
  for (const m of text.matchAll(AWS_SECRET)) {
    if (/[A-Z]/.test(m[0]) && /[a-z]/.test(m[0]) && entropy(m[0]) >= 4.0 && switches(m[0]) >= 0.3) return 'aws-secret-key';
  }
  // Anything else long and random, including a token inside a URL's path or query.
  for (const part of text.split(/[\s/?&#=:@,;'"`<>()[\]{}]+/)) {
    if (part.length >= 32 && mixed(part) && entropy(part) >= 4.3 && switches(part) >= 0.35) return 'high-entropy';
  }
  return undefined;
}

export function pastedSecretMessage(kind: PastedSecret): string {
  return kind === 'aws-secret-key'
    ? 'a secret was pasted and not stored; report the access key id instead (AKIA…)'
    : "a secret was pasted and not stored; report the credential's id instead, never its value";
}
