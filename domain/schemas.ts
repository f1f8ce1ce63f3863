import { z } from 'zod';
import { PROVIDERS, checkCredentialId } from './credential';
import { GitHubActionsSecretSpecSchema, GitHubActionsVariableSpecSchema, GitHubWorkflowDeployerSpecSchema } from './github-specs';

// The schema is the type: every shape that crosses a boundary (trigger → workflow, config file → worker)
// is declared here once and inferred with z.infer.

export const PHASES = [
  'triage',
  'blast-radius',
  'contain',
  'regenerate',
  'update-environments',
  'redeploy',
  'verify',
  'revoke',
  'post-mortem',
] as const;
export type Phase = (typeof PHASES)[number];

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 30s, 15m or 2h');

export const PolicySchema = z.strictObject({
  /** immediate: contain as soon as the owner is known; after-rotation: rotate first, zero downtime. */
  contain: z.enum(['immediate', 'after-rotation']).default('immediate'),
  /** Also attach an inline deny-all policy to the owner while contained (blocks the new key too until revoke). */
  quarantine: z.boolean().default(false),
  /** Phases that wait for a person's approval before they run. */
  approvals: z.array(z.enum(PHASES)).default([]),
  /** What to do when the owner already has two access keys (IAM's limit). */
  keyLimit: z.enum(['escalate', 'revoke-leaked-first']).default('escalate'),
  /** How long a waiting decision may stay unanswered before the incident re-escalates. */
  escalateAfter: duration.default('15m'),
});
export type Policy = z.infer<typeof PolicySchema>;
export const PolicyOverridesSchema = PolicySchema.partial();
export type PolicyOverrides = z.infer<typeof PolicyOverridesSchema>;

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SOURCES = ['manual', 'cli', 'temporal-ui', 'slack', 'github-secret-scanning', 'gitguardian', 'generic', 'aws-health'] as const;

export const ExposureSchema = z.strictObject({
  source: z.enum(SOURCES),
  /** Where it leaked, as people would look for it: a URL to a commit, a log, a paste. */
  url: z.url().optional(),
  repository: z.string().min(1).optional(),
  public: z.boolean().default(false),
  commit: z.string().min(1).optional(),
  path: z.string().min(1).optional(),
  line: z.number().int().positive().optional(),
  detectedAt: z.iso.datetime({ offset: true }).optional(),
  notes: z.string().max(2000).optional(),
  /** The scanner alert to close once the credential is revoked (GitHub secret scanning). */
  alert: z.strictObject({ repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/repo'), number: z.number().int().positive() }).optional(),
});
export type Exposure = z.infer<typeof ExposureSchema>;

export const IncidentInputSchema = z
  .strictObject({
    provider: z.enum(PROVIDERS, { error: `must be one of: ${PROVIDERS.join(', ')}` }),
    /** The credential's public identifier (an AWS access key id), never its secret. */
    credentialId: z.string().min(1),
    /** Where the trigger put the leaked secret itself (vault handle), for providers that need it. */
    secretHandle: z.string().min(1).max(200).optional(),
    exposure: ExposureSchema,
    requestedBy: z.string().min(1).max(200),
    severity: z.enum(SEVERITIES).optional(),
    policy: PolicyOverridesSchema.optional(),
  })
  .superRefine(
    (input, ctx) => {
      const problem = checkCredentialId(input.provider, input.credentialId);
      if (problem) ctx.addIssue({ code: 'custom', path: ['credentialId'], message: problem });
    },
    {
      // Check the id's shape even when other fields are also wrong, so one reply names every problem.
      when: ({ value }) => {
        const v = value as { provider?: unknown; credentialId?: unknown } | undefined;
        return typeof v?.credentialId === 'string' && (PROVIDERS as readonly unknown[]).includes(v.provider);
      },
    },
  );
export type IncidentInput = z.input<typeof IncidentInputSchema>;
export type ParsedIncidentInput = z.output<typeof IncidentInputSchema>;

/** A further report of a credential that already has an incident. */
export const ReportSchema = z.strictObject({
  exposure: ExposureSchema,
  requestedBy: z.string().min(1).max(200),
});
export type Report = z.infer<typeof ReportSchema>;

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
    timeout: duration.default('10m'),
    pollInterval: duration.default('2s'),
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

export const InventorySchema = z
  .strictObject({
    policy: PolicySchema.default(PolicySchema.parse({})),
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
