import { z } from 'zod';
import { securesSecrets } from '../../domain/origin';

// The guided module's section of the inventory (`providers.guided`): which credential a leaked value is
// (by the fingerprint of its current value) and, optionally, how to ask its issuer whether a value works.
// The probe is the only outbound call this module makes, and it goes only where this section says.

/** https anywhere; http only to this machine (domain/origin.ts, securesSecrets). */
const ProbeUrl = z
  .string()
  .max(2000)
  .refine((u) => URL.canParse(u), { message: 'must be an absolute URL' })
  .refine(securesSecrets, { message: 'must be https:// (http:// only to 127.0.0.1, localhost or [::1]): the probe sends the credential' })
  .refine((u) => !new URL(u).username && !new URL(u).password, { message: 'must not hold a user or password' });

const Status = z.number().int().min(100).max(599);

export const ProbeSchema = z.strictObject({
  url: ProbeUrl,
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  /** Where the credential goes: a header (with a prefix such as "Bearer "), or a query parameter. */
  credentialIn: z.union([
    z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), prefix: z.string().max(40).default('') }),
    z.strictObject({ query: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a query parameter name') }),
  ]),
  /** Statuses that mean "this value works". */
  valid: z.array(Status).min(1).default([200]),
  /** Statuses that mean "the issuer refuses this value"; any other status is an error, retried. */
  refused: z.array(Status).min(1).default([401, 403]),
  timeoutMs: z.number().int().min(100).max(30_000).default(5000),
});
export type Probe = z.infer<typeof ProbeSchema>;

const Fingerprint = z.string().regex(/^sha256:[0-9a-f]{16}$/, 'must be sha256:<16 hex> (leakstop fingerprint FILE prints it)');

export const GuidedCredentialSchema = z.strictObject({
  /** Fingerprints of the values in use now (more than one during a changeover). */
  secrets: z.array(Fingerprint).min(1).max(20),
  probe: ProbeSchema.optional(),
});

export const GuidedConfigSchema = z.strictObject({
  /** By name: the name is the credential's owner in the incident, which the inventory's `credentials` entry matches. */
  credentials: z.record(z.string().regex(/^[A-Za-z0-9_.@-]{1,100}$/, 'must be a name of letters, digits and . _ @ -'), GuidedCredentialSchema).default({}),
});
export type GuidedConfig = z.infer<typeof GuidedConfigSchema>;
export type GuidedCredential = z.infer<typeof GuidedCredentialSchema>;
