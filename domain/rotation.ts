import { z } from 'zod';
import { redactId } from './credential';
import { markdownCode, markdownTableCell, markdownText } from './escape';
import type { IncidentState } from './incident';
import type { CredentialEntry, Inventory } from './schemas';
import { PHASES } from './phases';
import { DAYS, type RotationWindow } from './rotation-window';

export { nextWindowStart, type RotationWindow } from './rotation-window';

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

/** What a rotation keeps beside the runbook's state. */
export interface RotationFacts {
  /** The inventory entry's rotation key (its schedule's name). */
  key: string;
  /** The credential being replaced (its id before the rotation). */
  oldCredentialId?: string;
  window?: RotationWindow;
  /** When the run waited for the window to open, until when. */
  waitedUntil?: string;
  /** Why there was nothing to rotate (no credential found, …). */
  nothing?: string;
  /** A leak of this credential was reported while it ran: the incident that took over. */
  supersededBy?: string;
}

/** The rotation record (Markdown), in place of a post-mortem. Every outside value is escaped. */
export function renderRotationRecord(s: IncidentState & { rotation: RotationFacts }): string {
  const r = s.rotation;
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);
  const text = markdownText;
  const code = markdownCode;
  const row = (...cells: string[]) => `| ${cells.map(markdownTableCell).join(' | ')} |`;
  out(`# Rotation record: ${text(s.input.provider)} credential ${text(r.key)}`, '');
  out('| | |', '|---|---|');
  out(
    row('Rotation', code(s.incidentId)),
    row('Status', `**${text(s.status)}**`),
    row('Owner', text(s.identification?.owner ?? 'unknown')),
    row('Replaced', r.oldCredentialId ? code(redactId(r.oldCredentialId)) : 'nothing'),
    row('New credential', s.newCredential ? code(redactId(s.newCredential.id)) : 'none'),
    row('Window', r.window ? text(`${r.window.days.join(', ')} ${r.window.hours} UTC`) : 'any time'),
    row('Started', text(s.startedAt)),
    row('Finished', s.finishedAt ? text(s.finishedAt) : 'still running'),
  );
  if (r.waitedUntil) out(row('Waited for the window until', text(r.waitedUntil)));
  out('');
  if (r.nothing) out(`Nothing was rotated: ${text(r.nothing)}`, '');
  if (r.supersededBy) out(`A leak of this credential was reported while the rotation ran: incident ${code(r.supersededBy)} took over (containment first), and the rotation stopped.`, '');
  out('## Consumers', '');
  if (!s.consumers.length) out('The inventory lists none.', '');
  for (const c of s.consumers) {
    const w = s.storeWrites.find((x) => x.consumer === c.name);
    const d = s.deploys.find((x) => x.consumer === c.name);
    out(`- ${text(c.name)}: ${w ? `${text(w.store)} ${code(w.key)} version ${text(String(w.version))}` : 'not written'}${c.deploy ? `; ${d ? `deploy ${text(d.id)} ${text(d.status)}` : 'not redeployed'}` : ''}`);
  }
  out('');
  out('## Checks', '');
  out(`- Verification: ${s.verification ? text(s.verification.detail) : 'not run'}`);
  out(`- Old credential: ${s.revocation ? text(s.revocation.summary) : 'not revoked'}`, '');
  out('## Timeline', '', '| Time (UTC) | Phase | Event | By |', '|---|---|---|---|');
  for (const t of s.timeline) out(row(text(t.at), text(t.phase), text(t.event), t.by ? text(t.by) : ''));
  out('');
  return lines.join('\n');
}

/** A credential entry's rotation schedule, by its rotation key, per task queue (a Leakstop deployment). */
export const rotationScheduleId = (taskQueue: string, key: string) => `leakstop-rotate-${taskQueue}-${key}`;

/** What people type to name a rotation (its key): checked before it becomes part of a schedule id. */
export const ROTATION_NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;

/** The inventory's credential entries that rotate on a schedule, each with its key and interval. */
export function rotatingEntries(inventory: Inventory): { key: string; every: string; entry: CredentialEntry }[] {
  return inventory.credentials.flatMap((entry) => {
    const every = entry.rotateEvery ?? inventory.hygiene.rotateEvery;
    return every ? [{ key: rotationKey(entry), every, entry }] : [];
  });
}
