import { entropy, fromLeakPatterns, switches } from '../../domain/secret-patterns';
import { catalog } from '../../providers';

// People under pressure paste the secret instead of its id. Whatever looks like a secret is
// never repeated back to Slack, never logged and never passed on; the reply only says it happened.
// The formats are the provider modules' (the same ones redaction masks), plus anything long and random.

/** The format that matched (a provider module's pattern name, `private-key`), or `high-entropy`. */
export type PastedSecret = string;

export { entropy, switches };

/** Upper, lower and digits together: a git SHA (hex, one case) or a path of words does not qualify. */
const mixed = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

/** The registered formats, compiled once (again only when a format joins). */
const compiled = fromLeakPatterns((patterns) => [...patterns].map(([kind, p]) => ({ kind, p, re: new RegExp(p.source, 'g') })));

export function findSecret(text: string): PastedSecret | undefined {
  for (const { kind, p, re } of compiled()) {
    for (const m of text.matchAll(re)) {
      if ((p.plausible?.(m[0]) ?? true) && (p.pasted?.(m[0]) ?? true)) return kind;
    }
  }
  // Anything else long and random, including a token inside a URL's path or query.
  for (const part of text.split(/[\s/?&#=:@,;'"`<>()[\]{}]+/)) {
    if (part.length >= 32 && mixed(part) && entropy(part) >= 4.3 && switches(part) >= 0.35) return 'high-entropy';
  }
  return undefined;
}

/** What to report instead: the hint of the credential kind whose format was pasted, when one is known. */
export function pastedSecretMessage(kind: PastedSecret): string {
  const owner = catalog.kinds.map((k) => catalog.credential(k)).find((c) => kind in c.patterns);
  return owner
    ? `a secret was pasted and not stored; report the credential's id instead (${owner.reportHint})`
    : "a secret was pasted and not stored; report the credential's id instead, never its value";
}
