import { z } from 'zod';
import { GitHubActionsSecretSpecSchema, GitHubActionsVariableSpecSchema, GitHubWorkflowDeployerSpecSchema } from './github-specs';
import { PROVIDERS } from './credential';
import { DurationSchema, PolicyOverridesSchema, PolicySchema, SOURCES } from './incident-input';

// The schema is the type: every shape that crosses a boundary (trigger → workflow, config file → worker)
// is declared once and inferred with z.infer. The incident input lives in domain/incident-input.ts.
export * from './incident-input';

// ---- Inventory: which credential is used where (YAML, loaded by the worker and the CLI) ----

const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1');

export const StoreSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('aws-secrets-manager'), region: awsRegion.optional() }),
  z.strictObject({ kind: z.literal('aws-ssm'), region: awsRegion.optional(), kmsKeyId: z.string().min(1).optional() }),
  GitHubActionsSecretSpecSchema,
  GitHubActionsVariableSpecSchema,
]);
export type StoreSpec = z.infer<typeof StoreSpecSchema>;

export const DeployerSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http-hook'),
    url: z.url(),
    /** Header names whose values come from environment variables, so tokens stay out of the file. */
    headersFromEnv: z.record(z.string(), z.string()).default({}),
    timeout: DurationSchema.default('10m'),
    pollInterval: DurationSchema.default('2s'),
  }),
  GitHubWorkflowDeployerSpecSchema,
]);
export type DeployerSpec = z.infer<typeof DeployerSpecSchema>;

export const SECRET_FIELDS = ['json', 'accessKeyId', 'secretAccessKey', 'token'] as const;

export const ConsumerSchema = z.strictObject({
  name: z.string().min(1),
  /** Name of an entry under `stores`. */
  store: z.string().min(1),
  /** The secret's name (Secrets Manager) or parameter path (SSM) in that store. */
  key: z.string().min(1),
  /** What is written: both halves as JSON (default), or one half. */
  field: z.enum(SECRET_FIELDS).default('json'),
  /** Name of an entry under `deployers`: what to restart once the secret is written. */
  deploy: z.string().min(1).optional(),
});
export type Consumer = z.infer<typeof ConsumerSchema>;

export const CredentialEntrySchema = z
  .strictObject({
    provider: z.enum(PROVIDERS, { error: `must be one of: ${PROVIDERS.join(', ')}` }),
    /** Match by owner (the IAM user): survives rotation, unlike the key id. */
    owner: z.string().min(1).optional(),
    credentialId: z.string().min(1).optional(),
    consumers: z.array(ConsumerSchema).default([]),
    policy: PolicyOverridesSchema.optional(),
  })
  .refine((c) => c.owner || c.credentialId, { message: 'needs an owner or a credentialId to match' });
export type CredentialEntry = z.infer<typeof CredentialEntrySchema>;

/** Which reports Leakstop acts on at once (domain/trust.ts); authoritative sources always do. */
export const TrustRulesSchema = z.strictObject({
  /** Sources trusted to act at once although they are not authoritative, e.g. [slack] where every reporter is vetted. */
  actAtOnce: z.array(z.enum(SOURCES)).default([]),
  /** TruffleHog findings the scanner did not verify live: ignored, or reported (then containment waits for an approver). */
  unverifiedFindings: z.enum(['ignore', 'report']).default('ignore'),
});
export type TrustRulesConfig = z.infer<typeof TrustRulesSchema>;

export const InventorySchema = z
  .strictObject({
    policy: PolicySchema.default(PolicySchema.parse({})),
    trust: TrustRulesSchema.default(TrustRulesSchema.parse({})),
    stores: z.record(z.string(), StoreSpecSchema).default({}),
    deployers: z.record(z.string(), DeployerSpecSchema).default({}),
    credentials: z.array(CredentialEntrySchema).default([]),
  })
  .superRefine((inv, ctx) => {
    const known = (names: Record<string, unknown>) => Object.keys(names).join(', ') || 'none';
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
  });
export type Inventory = z.infer<typeof InventorySchema>;

/** A consumer with its store and deployer looked up: what the workflow acts on. */
export interface ResolvedConsumer extends Consumer {
  storeSpec: StoreSpec;
  deployerSpec?: DeployerSpec;
}
