// How people see a credential: never the value, only a short redacted id. Which kinds exist, and how
// each shows its ids, is the provider modules' to say (providers/catalog.ts registers them here), so
// this stays pure, dependency-free and names no provider: workflows, activities and triggers share it.

/** A provider id (`aws-iam`, …); the schemas built from the provider modules say which exist. */
export type ProviderKind = string;

interface KindDisplay {
  /** Incident ids read `leak-<idPrefix>-<fingerprint>`. */
  idPrefix: string;
  /** Ids of this kind inside free text (provider errors echo them), shown redacted. */
  idsInText?: RegExp;
}

const kinds = new Map<string, KindDisplay>();

/** A provider module's kind, as people see it (called by providers/catalog.ts for every module). */
export function registerCredentialDisplay(kind: string, display: KindDisplay): void {
  kinds.set(kind, display);
}

/** Loud when the kinds were never registered: an id built without its prefix would split one incident in two. */
export function idPrefixOf(kind: string): string {
  const known = kinds.get(kind);
  if (!known) throw new Error(`credential kind "${kind}" is not registered: load the provider modules (providers/index.ts) first`);
  return known.idPrefix;
}

/** `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`. Short values are fully masked. */
export function redactId(id: string): string {
  if (id.length < 12) return '…'.padStart(Math.min(id.length, 4), '*');
  return `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/** Redacts every credential id found in free text (provider error messages echo them). */
export function redactText(text: string): string {
  let out = text;
  for (const { idsInText } of kinds.values()) if (idsInText) out = out.replace(idsInText, redactId);
  return out;
}
