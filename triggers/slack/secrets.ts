import { AWS_PATTERNS, entropy, GITHUB_PATTERNS, PRIVATE_KEY_PATTERNS, SLACK_PATTERNS, switches } from '../../domain/secret-patterns';

// People under pressure paste the secret instead of its id. Whatever looks like a secret is
// never repeated back to Slack, never logged and never passed on; the reply only says it happened.

export type PastedSecret = 'aws-secret-key' | 'github-token' | 'slack-token' | 'private-key' | 'high-entropy';

// Each provider's formats, from the one list redaction masks too.
const PATTERNS: [PastedSecret, RegExp][] = [
  ['private-key', new RegExp(PRIVATE_KEY_PATTERNS.leaks['private-key'].source)],
  ...Object.values(GITHUB_PATTERNS.leaks).map((p): [PastedSecret, RegExp] => ['github-token', new RegExp(p.source)]),
  ...Object.values(SLACK_PATTERNS.leaks).map((p): [PastedSecret, RegExp] => ['slack-token', new RegExp(p.source)]),
];

const AWS_SECRET = new RegExp(AWS_PATTERNS.leaks['aws-secret-access-key'].source, 'g');

export { entropy, switches };

/** Upper, lower and digits together: a git SHA (hex, one case) or a path of words does not qualify. */
const mixed = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

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
