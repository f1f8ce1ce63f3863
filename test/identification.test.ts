import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { cli } from '../triggers/cli';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { pendingQuery, type Pending } from '../workflows/identification-api';
import { controlFor, eventually, leakedKey, RecordingNotifier, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { standardInventory, waitForState } from './support/fixtures';

// A leak a scanner reports without naming the credential (GitGuardian sends hashes) waits durably in a
// "needs identification" state, escalating, until a person names it; then the runbook starts.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('needs identification: waits and escalates, refuses a bad id by field, then a person names the key and the incident runs', async () => {
  const leak = await leakedKey('unnamed');
  const taskQueue = uniqueQueue('identify');
  const control = controlFor(client, taskQueue);
  const notifier = new RecordingNotifier();
  const worker = await startWorker({ taskQueue, notifier, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }), report: (i) => control.report(i) });
  try {
    const ref = `gitguardian-${leak.user}`;
    const pending = { exposure: { source: 'gitguardian' as const, public: true, url: 'https://dashboard.gitguardian.com/workspace/1/incidents/42' }, requestedBy: 'gitguardian:webhook', reason: 'no inventory match', escalateAfter: '1s' };
    const { pendingId } = await control.awaitIdentification(ref, pending);
    expect(await control.awaitIdentification(ref, pending)).toEqual({ pendingId }); // a second delivery finds the first
    const handle = client.workflow.getHandle(pendingId);
    expect((await handle.query(pendingQuery)).status).toBe('needs identification');
    await eventually(async () => notifier.events.some((e) => e.incidentId === pendingId && e.message.startsWith('ESCALATION')) || undefined, 30_000, 'an escalation');

    await expect(control.identify(pendingId, { provider: 'aws-iam', credentialId: 'nope', by: 'ivy' })).rejects.toThrow(WorkflowUpdateFailedError);
    const refusal = await control.identify(pendingId, { provider: 'aws-iam', credentialId: 'nope', by: 'ivy' }).catch((e: WorkflowUpdateFailedError) => String(e.cause?.message));
    expect(refusal).toMatch(/^credentialId: must be an AWS access key id/m);

    const saved = { ...process.env };
    Object.assign(process.env, { TEMPORAL_ADDRESS: testEnv().temporalAddress, LEAKSTOP_TASK_QUEUE: taskQueue });
    try {
      expect(await cli(['incident', 'identify', pendingId, '--credential', leak.keyId, '--by', 'ivy'], () => undefined)).toBe(0);
    } finally {
      process.env = saved;
    }
    const done: Pending = await handle.result();
    expect(done).toMatchObject({ status: 'identified', identifiedBy: 'ivy', incidentId: expect.stringMatching(/^leak-aws-/) });
    // A person's identification is a report, not proof: containment waits for an approver.
    const held = await waitForState(client, done.incidentId!, (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === 'contain'));
    expect(held.trust).toMatchObject({ origin: { trust: 'reported', sealed: true }, held: 'contain' });
    await control.approve(done.incidentId!, { phase: 'contain', by: 'ivy' });
    const incident: IncidentState = await client.workflow.getHandle(done.incidentId!).result();
    expect(incident.status).toBe('completed');
    expect(incident.input).toMatchObject({ credentialId: leak.keyId, requestedBy: 'ivy', exposure: { source: 'gitguardian', public: true } });
  } finally {
    await worker.stop();
  }
});
