import { z } from 'zod';
import { DurationSchema, PolicyOverridesSchema, PolicySchema, SOURCES, type Policy, type PolicyOverrides } from './incident-input';
import { RotateEverySchema, RotationSettingsSchema, rotationKey, type RotationSettings } from './rotation';
import { approvalTimeoutMs } from './audit';

// The schema is the type: every shape that crosses a boundary (trigger → workflow, config file → worker)
// is declared once and inferred with z.infer. The incident input lives in domain/incident-input.ts.
// Which credential kinds, stores and deployers exist is the provider modules' to say: the schemas that
// depend on them are built from them (providers/catalog.ts), so domain/ names no provider.
export * from './incident-input';

// ---- Inventory: which credential is used where (YAML, loaded by the worker and the CLI) ----

/** An inventory entry for a store or a deployer: its kind, and the options its provider module declares. */
export interface StoreSpec {
  kind: string;
  [option: string]: unknown;
}
export type DeployerSpec = StoreSpec;

/** Which reports Leakstop acts on at once (domain/trust.ts); authoritative sources always do. */
export const TrustRulesSchema = z.strictObject({
  /** Sources trusted to act at once although they are not authoritative, e.g. [slack] where every reporter is vetted. */
  actAtOnce: z.array(z.enum(SOURCES)).default([]),
  /** TruffleHog findings the scanner did not verify live: ignored, or reported (then containment waits for an approver). */
  unverifiedFindings: z.enum(['ignore', 'report']).default('ignore'),
});
export type TrustRulesConfig = z.infer<typeof TrustRulesSchema>;

/**
 * Where Leakstop looks for a credential's other copies (`leakstop inventory discover`): the inventory's
 * stores that can be listed, each under its prefixes (a path, a name prefix), or all of it without.
 * Values are compared inside the process; only where a credential was found leaves it.
 */
export const DiscoverySchema = z.strictObject({
  sources: z.record(z.string(), z.strictObject({ prefixes: z.array(z.string().min(1).max(500)).max(50).default([]) })).default({}),
  /** Each source's search is cut off after this long; what it found by then counts, and the cut is reported. */
  timeout: DurationSchema.default('30s'),
  /**
   * During an incident (when sources are configured), the places found that the inventory does not list:
   * `ask` a person whether to add them to the incident's consumers, `update` them at once, or only
   * `report` them (timeline and post-mortem, with the inventory entries to add).
   */
  discovered: z.enum(['ask', 'update', 'report']).default('ask'),
});
export type DiscoveryConfig = z.infer<typeof DiscoverySchema>;

/** Key hygiene rules (`leakstop audit`): ages in days (`90d`). */
const Days = z.string().regex(/^\d{1,5}d$/, 'must be a number of days such as 90d');
export const HygieneSchema = z.strictObject({
  maxAge: Days.default('90d'),
  unusedFor: Days.default('30d'),
  expiryWarning: Days.default('14d'),
  /** Run the audit on a Temporal Schedule this often (`24h`); without it, only `leakstop audit` runs it. */
  every: DurationSchema.optional(),
  /** Rotate every credential entry this often (`90d`) unless the entry says otherwise (its `rotateEvery`). */
  rotateEvery: RotateEverySchema.optional(),
  /**
   * What a scheduled audit run does about its findings (workflows/hygiene.ts). Without it, nothing: the
   * run only reports. Deactivating takes a named approver; old keys go to their rotation schedule.
   */
  actions: z
    .strictObject({
      /** Unused keys: `ask` an approver (leakstop audit approve) and deactivate what they approve, or `never`. */
      deactivateUnused: z.enum(['ask', 'never'], { error: 'must be ask or never' }).default('never'),
      /** Old keys whose inventory entry rotates on a schedule: `trigger` that schedule now, or `never`. */
      rotateOld: z.enum(['trigger', 'never'], { error: 'must be trigger or never' }).default('never'),
      /** How long a run waits for the approval; then nothing is deactivated and the run says so. */
      approvalTimeout: z
        .string()
        .regex(/^\d{1,5}(d|h|m)$/, 'must be a number of days, hours or minutes such as 7d, 48h or 30m')
        .refine((v) => !/^\d+[dhm]$/.test(v) || (approvalTimeoutMs(v) >= 60_000 && approvalTimeoutMs(v) <= 90 * 86_400_000), 'must be between 1m and 90d')
        .default('7d'),
    })
    .optional(),
});
export type HygieneConfig = z.infer<typeof HygieneSchema>;

/** What the inventory's shape depends on, from the provider modules. */
export interface InventoryKinds {
  credentialKinds: readonly [string, ...string[]];
  stores: readonly z.ZodType<StoreSpec>[];
  deployers: readonly z.ZodType<DeployerSpec>[];
  /** `json` (the whole credential) and every part some kind can render (`token`, `secretAccessKey`, …). */
  fields: readonly [string, ...string[]];
  /** The provider modules' own sections (`providers.<module name>`), by module name. */
  providers?: Record<string, z.ZodType>;
}

export interface Consumer {
  name: string;
  /** Name of an entry under `stores`. */
  store: string;
  /** The secret's name, parameter path, … in that store. */
  key: string;
  /** What is written: the whole credential as JSON (`json`), or one part of it. */
  field: string;
  /** Name of an entry under `deployers`: what to restart once the secret is written. */
  deploy?: string;
  /** `json` only: merge the credential's entries into the JSON object the store holds, keeping its other keys. */
  merge?: boolean;
}

export interface CredentialEntry {
  /** Names the entry's rotation schedule (default `<provider>-<owner or credentialId>`). */
  name?: string;
  provider: string;
  /** Match by owner (an IAM user, a token's login): survives rotation, unlike the credential's id. */
  owner?: string;
  credentialId?: string;
  consumers: Consumer[];
  policy?: PolicyOverrides;
  /** Replace the credential on a Temporal Schedule this often (`30d`), zero downtime (workflows/rotation.ts). */
  rotateEvery?: string;
  /** When a scheduled rotation may run, and which of its phases wait for an approver. */
  rotation?: RotationSettings;
}

export interface Inventory {
  policy: Policy;
  trust: TrustRulesConfig;
  stores: Record<string, StoreSpec>;
  deployers: Record<string, DeployerSpec>;
  credentials: CredentialEntry[];
  /** Provider modules' own settings, by module name (validated by each module's schema). */
  providers: Record<string, unknown>;
  discovery: DiscoveryConfig;
  hygiene: HygieneConfig;
}

/** The inventory schema for the given provider modules (providers/catalog.ts builds the one in use). */
export function inventorySchema(k: InventoryKinds): z.ZodType<Inventory> {
  const ConsumerSchema = z.strictObject({
    name: z.string().min(1),
    store: z.string().min(1),
    key: z.string().min(1),
    field: z.enum(k.fields).default('json'),
    deploy: z.string().min(1).optional(),
    merge: z.boolean().optional(),
  });
  const CredentialEntrySchema = z
    .strictObject({
      name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'must be lower-case letters, digits and dashes (at most 60)').optional(),
      provider: z.enum(k.credentialKinds, { error: `must be one of: ${k.credentialKinds.join(', ')}` }),
      owner: z.string().min(1).optional(),
      credentialId: z.string().min(1).optional(),
      consumers: z.array(ConsumerSchema).default([]),
      policy: PolicyOverridesSchema.optional(),
      rotateEvery: RotateEverySchema.optional(),
      rotation: RotationSettingsSchema.optional(),
    })
    .refine((c) => c.owner || c.credentialId, { message: 'needs an owner or a credentialId to match' });

  return z
    .strictObject({
      policy: PolicySchema.default(PolicySchema.parse({})),
      trust: TrustRulesSchema.default(TrustRulesSchema.parse({})),
      stores: z.record(z.string(), specUnion('store', k.stores)).default({}),
      deployers: z.record(z.string(), specUnion('deployer', k.deployers)).default({}),
      credentials: z.array(CredentialEntrySchema).default([]),
      providers: z
        .strictObject(Object.fromEntries(Object.entries(k.providers ?? {}).map(([name, schema]) => [name, schema.optional()])))
        .default({}),
      discovery: DiscoverySchema.default(DiscoverySchema.parse({})),
      hygiene: HygieneSchema.default(HygieneSchema.parse({})),
    })
    .superRefine((inv, ctx) => {
      const known = (names: Record<string, unknown>) => Object.keys(names).join(', ') || 'none';
      for (const source of Object.keys(inv.discovery.sources)) {
        if (!(source in inv.stores)) ctx.addIssue({ code: 'custom', path: ['discovery', 'sources', source], message: `unknown store "${source}" (defined: ${known(inv.stores)})` });
      }
      // Each rotating entry has its own schedule, named by its rotation key.
      const keys = new Map<string, number>();
      inv.credentials.forEach((cred, ci) => {
        if (!(cred.rotateEvery ?? inv.hygiene.rotateEvery)) return;
        const key = rotationKey(cred);
        const first = keys.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['credentials', ci, 'name'], message: `rotates under the same name as credentials[${first}] ("${key}"): give one a name` });
        else keys.set(key, ci);
      });
      inv.credentials.forEach((cred, ci) =>
        cred.consumers.forEach((consumer, ki) => {
          if (!(consumer.store in inv.stores)) {
            ctx.addIssue({
              code: 'custom',
              path: ['credentials', ci, 'consumers', ki, 'store'],
              message: `unknown store "${consumer.store}" (defined: ${known(inv.stores)})`,
            });
          }
          if (consumer.deploy && !(consumer.deploy in inv.deployers)) {
            ctx.addIssue({
              code: 'custom',
              path: ['credentials', ci, 'consumers', ki, 'deploy'],
              message: `unknown deployer "${consumer.deploy}" (defined: ${known(inv.deployers)})`,
            });
          }
        }),
      );
    }) as unknown as z.ZodType<Inventory>;
}

/** A discriminated union of the modules' specs, by `kind`. */
function specUnion(what: string, specs: readonly z.ZodType<StoreSpec>[]): z.ZodType<StoreSpec> {
  if (specs.length === 0) return z.never({ error: `no ${what} kinds are available` }) as unknown as z.ZodType<StoreSpec>;
  return z.discriminatedUnion('kind', specs as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<StoreSpec>;
}

/** A consumer with its store and deployer looked up: what the workflow acts on. */
export interface ResolvedConsumer extends Consumer {
  storeSpec: StoreSpec;
  deployerSpec?: DeployerSpec;
}
