import { readFileSync } from 'node:fs';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { cli } from '../triggers/cli';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { abortUpdate, approveUpdate, decideUpdate, statusQuery } from '../workflows/definitions';
import { leakedKey, RecordingNotifier, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, standardInventory, waitForState, report } from './support/fixtures';

// Joining, escalation and the decisions people make: the incident waits for them and never
// fails or drops a step silently.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('a second report of the same key joins the running incident (API and CLI)', async () => {
  const leak = await leakedKey('join');
  const taskQueue = uniqueQueue('join');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  const out: string[] = [];
  const env = { ...process.env };
  Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue });
  try {
    const first = await report(client, taskQueue, leakInput(leak.keyId));
    await waitForState(client, first.incidentId, (s) => s.waiting.some((w) => w.kind === 'approval'));

    const second = await report(client, taskQueue, leakInput(leak.keyId, { requestedBy: 'scanner', exposure: { source: 'generic', public: true, url: 'https://example.com/paste/1' } }));
    expect(second).toEqual({ incidentId: first.incidentId, joined: true });
    expect(await cli(['incident', 'start', '--credential', leak.keyId, '--by', 'erin', '--source', 'cli'], (l) => out.push(l))).toBe(0);
    expect(out).toContain(`joined running incident ${first.incidentId}`);

    expect(await cli(['incident', 'approve', first.incidentId, '--phase', 'regenerate', '--by', 'erin'], (l) => out.push(l))).toBe(0);
    const s: IncidentState = await client.workflow.getHandle(first.incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.reports.map((r) => r.requestedBy)).toEqual(['test', 'scanner', 'erin']);
    expect(s.timeline.filter((t) => t.event.startsWith('reported again'))).toHaveLength(2);
    expect((await keysOf(leak.user))).toHaveLength(1);

    expect(await cli(['incident', 'status', first.incidentId], (l) => out.push(l))).toBe(0);
    expect(out.pop()).toMatch(new RegExp(`^${first.incidentId}: completed, phase post-mortem`));
  } finally {
    process.env = env;
    await worker.stop();
  }
});

test('a step that fails for good waits for a person; skip goes on and the skip is on the record', async () => {
  const leak = await leakedKey('skip');
  const taskQueue = uniqueQueue('skip');
  // The deployer points at a route the hook does not have: a permanent 404.
  const inventory = standardInventory({ owner: leak.user, tag: leak.user, hookUrl: `${hook.url}/missing` });
  const worker = await startWorker({ taskQueue, inventory });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const handle = client.workflow.getHandle(incidentId);
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting');
    expect(waiting.waiting).toEqual([
      expect.objectContaining({ kind: 'decision', phase: 'redeploy', step: 'redeploy api', options: ['retry', 'skip', 'abort'] }),
    ]);
    expect(waiting.waiting[0]!.reason).toMatch(/answered 404/);

    // A decision nobody is waiting for, or one not offered, is refused with the field named.
    await expect(handle.executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'x', step: 'nope' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(handle.executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'x' }] })).rejects.toThrow(WorkflowUpdateFailedError);

    const env = { ...process.env };
    Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue });
    try {
      expect(await cli(['incident', 'skip', incidentId, '--by', 'frank', '--note', 'api redeployed by hand'], () => undefined)).toBe(0);
    } finally {
      process.env = env;
    }
    const s: IncidentState = await handle.result();
    expect(s.status).toBe('completed');
    expect(s.actions).toContainEqual(expect.objectContaining({ phase: 'redeploy', step: 'redeploy api', outcome: 'skipped', detail: 'skipped by frank: api redeployed by hand' }));
    expect(s.revocation?.changed).toBe(true);
  } finally {
    await worker.stop();
  }
});

test('abort stops the runbook where it is, keeps the key contained, and still writes the post-mortem', async () => {
  const leak = await leakedKey('abort');
  const taskQueue = uniqueQueue('abort');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const handle = client.workflow.getHandle(incidentId);
    await waitForState(client, incidentId, (s) => s.waiting.length > 0);
    await expect(handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'gina', reason: 'false positive drill' }] });
    const s: IncidentState = await handle.result();
    expect(s.status).toBe('aborted');
    expect(s.postMortem?.url).toMatch(/\.md$/);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'aborted: false positive drill', by: 'gina' }));
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Inactive' }]);
    expect((await handle.query(statusQuery)).status).toBe('aborted');
  } finally {
    await worker.stop();
  }
});

test('an approval nobody gives re-escalates every escalateAfter, on the timeline and to the notifier', async () => {
  const leak = await leakedKey('escalate');
  const taskQueue = uniqueQueue('escalate');
  const notifier = new RecordingNotifier();
  const worker = await startWorker({ taskQueue, notifier, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [revoke], escalateAfter: 1s }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const s = await waitForState(client, incidentId, (st) => st.timeline.filter((t) => t.event.includes('escalated')).length >= 2);
    expect(s.waiting).toEqual([expect.objectContaining({ kind: 'approval', phase: 'revoke' })]);
    expect(notifier.events.filter((e) => e.kind === 'waiting' && e.message.startsWith('ESCALATION'))).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining('ESCALATION 2') })]),
    );
    await client.workflow.getHandle(incidentId).executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'helen' }] });
    const done: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(done.status).toBe('completed');
    expect(readFileSync(done.postMortem!.url, 'utf8')).toMatch(/still waiting for a person after .* escalated/);
  } finally {
    await worker.stop();
  }
});
