// The runbook's phases, in order. A module of its own, without zod: workflow code imports it, and every
// workflow evaluates its modules afresh.

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
