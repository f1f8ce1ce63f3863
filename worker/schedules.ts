import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { durationMs } from '../domain/duration';
import type { Inventory } from '../domain/schemas';

/** The hygiene audit's schedule: one per task queue (a Leakstop deployment). */
export const hygieneScheduleId = (taskQueue: string) => `leakstop-hygiene-${taskQueue}`;

/**
 * Makes Temporal's schedules match the inventory at worker start: the hygiene audit's schedule is
 * created, updated to the inventory's `hygiene.every`, or deleted when it has none. Overlapping runs
 * are skipped; a jitter of a tenth of the interval (at most an hour) spreads deployments' runs. Pause,
 * unpause and trigger-now work from the Temporal UI's Schedules page and `temporal schedule`.
 * Returns what it did.
 */
export async function reconcileHygieneSchedule(client: Client, taskQueue: string, inventory: Inventory): Promise<'created' | 'updated' | 'unchanged' | 'deleted' | 'none'> {
  const id = hygieneScheduleId(taskQueue);
  const handle = client.schedule.getHandle(id);
  const every = inventory.hygiene.every;
  const current = await handle.describe().catch((err) => (err instanceof ScheduleNotFoundError ? undefined : Promise.reject(err)));
  if (!every) {
    if (!current) return 'none';
    await handle.delete();
    return 'deleted';
  }
  const everyMs = durationMs(every);
  const jitter = Math.min(3_600_000, Math.floor(everyMs / 10));
  const action = { type: 'startWorkflow' as const, workflowType: 'hygieneWorkflow', taskQueue, workflowId: `${id}-run`, args: [] as [] };
  if (!current) {
    // Several workers start at once: the first creates it, the others find it made.
    const made = await client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: everyMs }], jitter },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      memo: { purpose: 'Leakstop key-hygiene audit (leakstop audit), from the inventory' },
    }).then(() => true, (err) => (err instanceof ScheduleAlreadyRunning ? false : Promise.reject(err)));
    return made ? 'created' : 'unchanged';
  }
  const interval = current.spec.intervals?.[0]?.every;
  if (current.spec.intervals?.length === 1 && interval !== undefined && Number(interval) === everyMs) return 'unchanged';
  await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: everyMs }], jitter }, action }));
  return 'updated';
}

