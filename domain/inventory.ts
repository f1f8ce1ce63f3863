import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ProviderKind } from './credential';
import { ValidationError } from './issues';
import { PolicySchema, type CredentialEntry, type Inventory, type Policy, type ResolvedConsumer } from './schemas';
import { rotationKey } from './rotation';
import type { z } from 'zod';
import { applyTrust, type Origin } from './trust';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates an inventory file's text against `schema` (the one providers/catalog.ts builds
 * from the provider modules); every problem names its place in the file.
 */
export function parseInventoryWith(schema: z.ZodType<Inventory>, text: string, source = 'inventory'): Inventory {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(`${source} is not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new ValidationError(source, result.error, source);
  return result.data;
}

export interface Plan {
  consumers: ResolvedConsumer[];
  policy: Policy;
  /** Which inventory entry matched, for the report; undefined when none did. */
  matched?: string;
  /** Which trust rule applied, and the phase it holds for an approver, if any (domain/trust.ts). */
  trust: { rule: string; held?: Policy['approvals'][number] };
  /** Whether the inventory names discovery sources to search during the incident. */
  discover?: boolean;
}

/**
 * The consumers and policy for one credential. Policy comes from the inventory alone (its defaults, then
 * the credential's entry); the report's origin can only add an approval. A credential the inventory
 * does not know has no consumers.
 */
export function planFor(inventory: Inventory, provider: ProviderKind, owner: string | undefined, credentialId: string, origin: Origin): Plan {
  const entry = inventory.credentials.find(
    (c) => c.provider === provider && (c.credentialId === credentialId || (owner !== undefined && c.owner === owner)),
  );
  const decided = applyTrust(PolicySchema.parse({ ...inventory.policy, ...entry?.policy }), origin, inventory.trust);
  const policy = decided.policy;
  const trust = { rule: decided.rule, ...(decided.held ? { held: decided.held } : {}) };
  const discover = Object.keys(inventory.discovery?.sources ?? {}).length > 0 ? { discover: true } : {};
  if (!entry) return { consumers: [], policy, trust, ...discover };
  return {
    policy,
    trust,
    ...discover,
    matched: entry.owner ? `owner ${entry.owner}` : `credential ${entry.credentialId}`,
    consumers: resolveConsumers(inventory, entry),
  };
}

/** The inventory's credential entries that rotate on a schedule, each with its key and interval. */
export function rotatingEntries(inventory: Inventory): { key: string; every: string; entry: CredentialEntry }[] {
  return inventory.credentials.flatMap((entry) => {
    const every = entry.rotateEvery ?? inventory.hygiene.rotateEvery;
    return every ? [{ key: rotationKey(entry), every, entry }] : [];
  });
}

/** An entry's consumers with their store and deployer looked up (the schema made sure both exist). */
export function resolveConsumers(inventory: Inventory, entry: CredentialEntry): ResolvedConsumer[] {
  return entry.consumers.map((c) => ({ ...c, storeSpec: inventory.stores[c.store]!, deployerSpec: c.deploy ? inventory.deployers[c.deploy] : undefined }));
}
