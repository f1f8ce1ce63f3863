import { z } from 'zod';
import { PHASES } from './phases';
import { DAYS } from './rotation-window';

export { nextWindowStart, type RotationFacts, type RotationWindow } from './rotation-window';

// Scheduled rotation (no leak): the inventory says how often a credential is replaced, and when the
// replacement may run. Pure: the schedules are worker/schedules.ts's, the run is workflows/rotation.ts's.

/** How often: days or hours (`30d`, `12h`); at least an hour, at most ten years. */
export const RotateEverySchema = z
  .string()
  .regex(/^\d{1,5}(d|h)$/, 'must be a number of days or hours such as 30d or 12h')
  .refine((v) => rotateEveryMs(v) >= 3_600_000 && rotateEveryMs(v) <= 3650 * 86_400_000, 'must be between 1h and 3650d');

/** When a rotation may run, in UTC: the days of the week, and the hours `HH-HH` (end excluded). */
export const RotationWindowSchema = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).max(7).default([...DAYS]),
  hours: z
    .string()
    .regex(/^([01]\d|2[0-3])-([01]\d|2[0-4])$/, 'must be hours in UTC such as 09-17 (the end excluded)')
    .refine((h) => Number(h.slice(0, 2)) < Number(h.slice(3)), 'the start hour must come before the end hour')
    .default('00-24'),
});

/** A credential entry's `rotation`: optional window, and phases that wait for an approver. */
export const RotationSettingsSchema = z.strictObject({
  window: RotationWindowSchema.optional(),
  approvals: z.array(z.enum(PHASES)).default([]),
});
export type RotationSettings = z.infer<typeof RotationSettingsSchema>;

export function rotateEveryMs(every: string): number {
  const n = Number(every.slice(0, -1));
  return every.endsWith('d') ? n * 86_400_000 : n * 3_600_000;
}

/**
 * The name a credential entry's schedule goes by: its `name`, or `<provider>-<owner or id>` made safe
 * for a schedule id. Two entries that would share one are refused by the inventory schema.
 */
export function rotationKey(entry: { name?: string; provider: string; owner?: string; credentialId?: string }): string {
  if (entry.name) return entry.name;
  const raw = `${entry.provider}-${entry.owner ?? entry.credentialId ?? ''}`;
  const safe = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  // An owner with characters the id cannot hold (or a long one) keeps a short hash of its real name.
  return safe === raw ? safe : `${safe}-${fnv1a(raw)}`;
}

/** A short, stable hash (FNV-1a, 32 bits) for names only: not a secret's fingerprint. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** A credential entry's rotation schedule, by its rotation key, per task queue (a Leakstop deployment). */
export const rotationScheduleId = (taskQueue: string, key: string) => `leakstop-rotate-${taskQueue}-${key}`;

/** What people type to name a rotation (its key): checked before it becomes part of a schedule id. */
export const ROTATION_NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;
