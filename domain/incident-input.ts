import { z } from 'zod';
import { PROVIDERS, checkCredentialId } from './credential';

// What a trigger hands the incident workflow. Kept apart from the inventory schemas (domain/schemas.ts)
// because workflow code imports it: every workflow evaluates its modules afresh, so the workflow bundle
// carries only the schemas it validates.

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

/** A duration in config and input: 500ms, 30s, 15m, 2h. */
export const DurationSchema = z
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
  escalateAfter: DurationSchema.default('15m'),
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
