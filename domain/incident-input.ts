import { z } from 'zod';


// What a trigger hands the incident workflow. Kept apart from the inventory schemas (domain/schemas.ts)
// because workflow code imports it: every workflow evaluates its modules afresh, so the workflow bundle
// carries only the schemas it validates.

export { PHASES, type Phase } from './phases';
import { PHASES } from './phases';

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

/** How far a report proves a leak (domain/trust.ts says what each level makes Leakstop do). */
export const TRUST_LEVELS = ['authoritative', 'reported'] as const;
export type Trust = (typeof TRUST_LEVELS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** Where a run came from. `schedule` is a scheduled rotation's (no leak): no report may claim it. */
export const SOURCES = ['manual', 'cli', 'temporal-ui', 'slack', 'github-secret-scanning', 'gitguardian', 'generic', 'trufflehog', 'aws-health', 'schedule'] as const;

// Every string a sender can set is bounded, so that no report can grow an incident's state (which
// lives in workflow history, under Temporal's payload limit) without limit.
const bounded = (max: number) => z.string().min(1).max(max, `must be at most ${max} characters`);

export const ExposureSchema = z.strictObject({
  source: z.enum(SOURCES).refine((v): boolean => v !== 'schedule', 'schedule is for scheduled rotations, not for reports of a leak'),
  /** Where it leaked, as people would look for it: a URL to a commit, a log, a paste. */
  url: z.url().max(2048, 'must be at most 2048 characters').optional(),
  repository: bounded(200).optional(),
  public: z.boolean().default(false),
  commit: bounded(64).optional(),
  path: bounded(1024).optional(),
  line: z.number().int().positive().max(10_000_000).optional(),
  detectedAt: z.iso.datetime({ offset: true }).optional(),
  notes: z.string().max(2000, 'must be at most 2000 characters').optional(),
  /**
   * The scanner alert to close once the credential is revoked. Set only by Leakstop's GitHub endpoint
   * from the alert it read back, and sealed with the report (domain/seal.ts).
   */
  alert: z.strictObject({ repository: z.string().max(200).regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/repo'), number: z.number().int().positive() }).optional(),
});
export type Exposure = z.infer<typeof ExposureSchema>;

/**
 * Fields only Leakstop's own code sets. `trust` and `seal` come from the trigger that received the report
 * (checked by the worker); policy comes only from the inventory; the leaked secret's vault handle is
 * derived from the credential. A sender who sets the last two is told so, by field.
 */
const CONTROL_FIELDS = {
  trust: z.enum(TRUST_LEVELS).optional(),
  seal: z.string().max(200).optional(),
  policy: z.never({ error: 'only the inventory sets policy; an approver can tighten a running incident (leakstop incident tighten)' }).optional(),
  secretHandle: z.never({ error: 'set by Leakstop itself: a leaked secret goes to the vault through a trigger, never in the input' }).optional(),
};

/** What the input schema needs from the provider modules: the credential kinds and their id check. */
export interface CredentialKinds {
  kinds: readonly [string, ...string[]];
  /** The problem with an id of that kind, said for people; undefined when it is fine. */
  checkId(kind: string, id: string): string | undefined;
}

/** The incident input for the given credential kinds (providers/catalog.ts builds the one in use). */
export function incidentInputSchema(k: CredentialKinds) {
  return z
    .strictObject({
      provider: z.enum(k.kinds, { error: `must be one of: ${k.kinds.join(', ')}` }),
      /** The credential's public identifier (an AWS access key id, a token's fingerprint), never its secret. */
      credentialId: z.string().min(1).max(200),
      exposure: ExposureSchema,
      requestedBy: bounded(200),
      severity: z.enum(SEVERITIES).optional(),
      ...CONTROL_FIELDS,
    })
    .superRefine(
      (input, ctx) => {
        const problem = k.checkId(input.provider, input.credentialId);
        if (problem) ctx.addIssue({ code: 'custom', path: ['credentialId'], message: problem });
      },
      {
        // Check the id's shape even when other fields are also wrong, so one reply names every problem.
        when: ({ value }) => {
          const v = value as { provider?: unknown; credentialId?: unknown } | undefined;
          return typeof v?.credentialId === 'string' && (k.kinds as readonly unknown[]).includes(v.provider);
        },
      },
    );
}
type IncidentInputSchemaType = ReturnType<typeof incidentInputSchema>;
export type IncidentInput = z.input<IncidentInputSchemaType>;
export type ParsedIncidentInput = z.output<IncidentInputSchemaType>;

/** A further report of a credential that already has an incident. */
export const ReportSchema = z.strictObject({
  exposure: ExposureSchema,
  requestedBy: bounded(200),
  trust: CONTROL_FIELDS.trust,
  seal: CONTROL_FIELDS.seal,
});
export type Report = z.infer<typeof ReportSchema>;
