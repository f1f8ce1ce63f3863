import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { parseInventory } from '../providers';
import { hygieneScheduleId, reconcileHygieneSchedule } from '../worker/schedules';
import type { HygieneRun } from '../workflows/hygiene';
import { eventually, RecordingNotifier, startWorker, uniqueQueue, useTemporal } from './support/env';

// The key-hygiene audit on a Temporal Schedule, against the dev server (which implements Schedules;
// the time-skipping server does not): the schedule made to match the inventory, a run triggered now
// instead of waited for, its report written, then the schedule updated and deleted as the inventory changes.

let client: Client;
useTemporal((c) => (client = c));

test('the inventory’s hygiene.every makes, updates and removes the schedule; a triggered run writes the report', async () => {
  const taskQueue = uniqueQueue('hygiene');
  const inventory = (every?: string) => parseInventory(`hygiene: { maxAge: 90d${every ? `, every: ${every}` : ''} }`);
  const notes = new RecordingNotifier();
  const worker = await startWorker({ taskQueue, inventory: inventory('24h'), notifier: notes });
  const handle = client.schedule.getHandle(hygieneScheduleId(taskQueue));
  try {
    expect(await reconcileHygieneSchedule(client, taskQueue, inventory('24h'))).toBe('created');
    expect(await reconcileHygieneSchedule(client, taskQueue, inventory('24h'))).toBe('unchanged');
    const made = await handle.describe();
    expect(made.spec.intervals).toEqual([{ every: 86_400_000, offset: undefined }]);
    expect(made.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(made.action).toMatchObject({ type: 'startWorkflow', workflowType: 'hygieneWorkflow', taskQueue });

    await handle.trigger();
    const runId = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the triggered run');
    const run: HygieneRun = await client.workflow.getHandle(runId).result();
    expect(run.notListed).toEqual([]);
    expect(run.listed).toBeGreaterThan(0);
    expect(run.summary).toMatch(/^Key hygiene: \d+ credential\(s\)/);
    expect(existsSync(run.reportUrl.replace(/^file:\/\//, ''))).toBe(true);
    expect(readFileSync(run.reportUrl.replace(/^file:\/\//, ''), 'utf8')).toMatch(/^# Key hygiene, \d{4}-\d{2}-\d{2}\n/);
    // Its summary went to the notifier's channel (Slack), with where the report is.
    const said = (await eventually(async () => notes.events.find((e) => e.phase === 'key hygiene'), 10_000, 'the audit summary'));
    expect(said).toMatchObject({ kind: 'finished', message: expect.stringContaining(run.summary) });
    expect(said!.message).toContain(run.reportUrl);

    expect(await reconcileHygieneSchedule(client, taskQueue, inventory('12h'))).toBe('updated');
    expect((await handle.describe()).spec.intervals).toEqual([{ every: 43_200_000, offset: undefined }]);
    expect(await reconcileHygieneSchedule(client, taskQueue, inventory())).toBe('deleted');
    expect(await reconcileHygieneSchedule(client, taskQueue, inventory())).toBe('none');
  } finally {
    await handle.delete().catch(() => undefined);
    await worker.stop();
  }
});
