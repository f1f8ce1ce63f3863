import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { durationMs } from '../domain/duration';
import type { Inventory } from '../domain/schemas';
import { rotatingEntries } from '../domain/inventory';
import { rotateEveryMs, rotationScheduleId } from '../domain/rotation';

import type { RotationInput } from '../workflows/rotation';

export { rotationScheduleId } from '../domain/rotation';

/** The hygiene audit's schedule: one per task queue (a Leakstop deployment). */
export const hygieneScheduleId = (taskQueue: string) => `leakstop-hygiene-${taskQueue}`;

type Action = { type: 'startWorkflow'; workflowType: string; taskQueue: string; workflowId: string; args: unknown[] };

/**
 * Makes one schedule run `action` every `everyMs`: created when missing, its spec and action updated
 * when the interval changed, left alone otherwise (a pause is its own state and stays). Overlapping runs
 * are skipped; a jitter of a tenth of the interval (at most an hour) spreads deployments' runs.
 */
async function matchSchedule(client: Client, id: string, everyMs: number, action: Action, purpose: string, current?: ScheduleDescription): Promise<'created' | 'updated' | 'unchanged'> {
  const spec = { intervals: [{ every: everyMs }], jitter: Math.min(3_600_000, Math.floor(everyMs / 10)) };
  if (!current) {
    // Several workers start at once: the first creates it, the others find it made.
    const made = await client.schedule
      .create({ scheduleId: id, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP }, memo: { purpose } })
      .then(() => true, (err) => (err instanceof ScheduleAlreadyRunning ? false : Promise.reject(err)));
    return made ? 'created' : 'unchanged';
  }
  const interval = current.spec.intervals?.[0]?.every;
  if (current.spec.intervals?.length === 1 && interval !== undefined && Number(interval) === everyMs) return 'unchanged';
  await client.schedule.getHandle(id).update((prev) => ({ ...prev, spec, action }));
  return 'updated';
}

/** A schedule's description, or undefined when there is none. */
const described = (client: Client, id: string) =>
  client.schedule.getHandle(id).describe().catch((err) => (err instanceof ScheduleNotFoundError ? undefined : Promise.reject(err)));

/**
 * Makes Temporal's schedules match the inventory at worker start: the hygiene audit's schedule is
 * created, updated to the inventory's `hygiene.every`, or deleted when it has none (matchSchedule).
 * Pause, unpause and trigger-now work from the Temporal UI's Schedules page and `temporal schedule`.
 * Returns what it did.
 */
export async function reconcileHygieneSchedule(client: Client, taskQueue: string, inventory: Inventory): Promise<'created' | 'updated' | 'unchanged' | 'deleted' | 'none'> {
  const id = hygieneScheduleId(taskQueue);
  const every = inventory.hygiene.every;
  const current = await described(client, id);
  if (!every) {
    if (!current) return 'none';
    await client.schedule.getHandle(id).delete();
    return 'deleted';
  }
  const action = { type: 'startWorkflow' as const, workflowType: 'hygieneWorkflow', taskQueue, workflowId: `${id}-run`, args: [] };
  return matchSchedule(client, id, durationMs(every), action, 'Leakstop key-hygiene audit (leakstop audit), from the inventory', current);
}

/**
 * Makes the rotation schedules match the inventory at worker start: one per credential entry with
 * `rotateEvery` (or the hygiene default), created or updated to a changed interval (matchSchedule;
 * overlap skipped, so a rotation still waiting for an approver is not doubled), or deleted once the
 * entry is gone. Pausing is the schedule's own state (CLI `leakstop rotation pause`, the Temporal UI):
 * reconciling never unpauses. Returns what it
 * did, by rotation key.
 */
export async function reconcileRotationSchedules(client: Client, taskQueue: string, inventory: Inventory): Promise<Record<string, 'created' | 'updated' | 'unchanged' | 'deleted'>> {
  const done: Record<string, 'created' | 'updated' | 'unchanged' | 'deleted'> = {};
  const wanted = rotatingEntries(inventory);
  for (const { key, every } of wanted) {
    const id = rotationScheduleId(taskQueue, key);
    const action = { type: 'startWorkflow' as const, workflowType: 'rotationWorkflow', taskQueue, workflowId: `rotation-${taskQueue}-${key}`, args: [{ credential: key }] as [RotationInput] };
    done[key] = await matchSchedule(client, id, rotateEveryMs(every), action, `Leakstop scheduled rotation of ${key}, from the inventory`, await described(client, id));
  }
  // Schedules of entries that no longer rotate (visibility lists them; a just-made one may lag, and is wanted anyway).
  const prefix = rotationScheduleId(taskQueue, '');
  const keep = new Set(wanted.map((w) => rotationScheduleId(taskQueue, w.key)));
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(prefix) || keep.has(s.scheduleId)) continue;
    await client.schedule.getHandle(s.scheduleId).delete().catch((err) => (err instanceof ScheduleNotFoundError ? undefined : Promise.reject(err)));
    done[s.scheduleId.slice(prefix.length)] = 'deleted';
  }
  return done;
}
