import type { Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { approveUpdate, INCIDENT_WORKFLOW_TYPE } from '../../workflows/definitions';
import { controlFor, leakedKey, RecordingNotifier, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { keysOf, leakInput, report, standardInventory, waitForState } from '../support/fixtures';

// Finding 1: key ids are not secret, so anyone who can file a report (a Slack member, a signed generic
// sender, an unverified scanner finding, a Temporal UI user) could disable a production key. A report
// that proves nothing opens the incident and maps the blast radius; containment waits for an approver.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

async function withWorker(owner: string, body: (q: string, notifier: RecordingNotifier) => Promise<void>, extra = '') {
  const taskQueue = uniqueQueue('trust');
  const notifier = new RecordingNotifier();
  const worker = await startWorker({ taskQueue, notifier, inventory: `${extra}\n${standardInventory({ owner, tag: owner, hookUrl: hook.url })}` });
  try {
    await body(taskQueue, notifier);
  } finally {
    await worker.stop();
  }
}

const slackReport = (keyId: string) => leakInput(keyId, { exposure: { source: 'slack', public: false }, requestedBy: 'slack:U0MALLORY' });

test('a Slack member reports a production key id: the blast radius is mapped, the key stays active until an approver says so', async () => {
  const leak = await leakedKey('trust-slack');
  await withWorker(leak.user, async (taskQueue, notifier) => {
    const { incidentId } = await controlFor(client, taskQueue).report(slackReport(leak.keyId));
    const s = await waitForState(client, incidentId, (st) => !!st.blastRadius && st.waiting.some((w) => w.kind === 'approval' && w.phase === 'contain'));
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
    expect(s.trust).toMatchObject({ origin: { source: 'slack', trust: 'reported', sealed: true }, held: 'contain' });
    // The first message people get says which rule applied.
    const first = notifier.events.find((e) => e.incidentId === incidentId);
    expect(first?.message).toMatch(/a report from slack is not proof of a leak, so contain waits for an approver/);

    await client.workflow.getHandle(incidentId).executeUpdate(approveUpdate, { args: [{ phase: 'contain', by: 'carol' }] });
    const done: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(done.status).toBe('completed');
    expect(done.timeline).toContainEqual(expect.objectContaining({ phase: 'contain', event: 'approved', by: 'carol' }));
  });
});

test('an incident started by hand in Temporal is a plain report, whatever source it claims', async () => {
  const leak = await leakedKey('trust-ui');
  await withWorker(leak.user, async (taskQueue) => {
    const incidentId = incidentIdFor('aws-iam', leak.keyId);
    const input = leakInput(leak.keyId, { exposure: { source: 'github-secret-scanning', public: true } });
    await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId: incidentId, taskQueue, args: [input] });
    const s = await waitForState(client, incidentId, (st) => st.waiting.some((w) => w.phase === 'contain'));
    expect(s.trust?.origin).toEqual({ source: 'github-secret-scanning', trust: 'reported', sealed: false });
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
    await client.workflow.getHandle(incidentId).terminate('test done');
  });
});

test('a forged trust claim is refused by field, and nothing runs', async () => {
  const leak = await leakedKey('trust-forged');
  await withWorker(leak.user, async (taskQueue) => {
    const incidentId = incidentIdFor('aws-iam', leak.keyId);
    const input = { ...leakInput(leak.keyId), trust: 'authoritative', seal: 'v1.test.00' };
    const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId: incidentId, taskQueue, args: [input] });
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(String(err?.cause?.message)).toMatch(/^trust: set only by Leakstop's triggers/m);
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
  });
});

test("an authoritative report of the same key lifts the hold an unproven report's trust put on containment", async () => {
  const leak = await leakedKey('trust-lift');
  await withWorker(leak.user, async (taskQueue) => {
    const { incidentId } = await controlFor(client, taskQueue).report(slackReport(leak.keyId));
    await waitForState(client, incidentId, (st) => st.waiting.some((w) => w.phase === 'contain'));
    const joined = await report(client, taskQueue, leakInput(leak.keyId, { exposure: { source: 'github-secret-scanning', public: true } }));
    expect(joined).toEqual({ incidentId, joined: true });
    const done: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(done.status).toBe('completed');
    expect(done.timeline).toContainEqual(expect.objectContaining({ phase: 'contain', event: expect.stringMatching(/^the hold for an approver is lifted: github-secret-scanning/) }));
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([done.newCredential!.id]);
  });
});

test('the inventory may trust a source to act at once (trust.actAtOnce)', async () => {
  const leak = await leakedKey('trust-inv');
  await withWorker(
    leak.user,
    async (taskQueue) => {
      const { incidentId } = await controlFor(client, taskQueue).report(slackReport(leak.keyId));
      const done: IncidentState = await client.workflow.getHandle(incidentId).result();
      expect(done.trust?.rule).toMatch(/the inventory trusts slack \(trust.actAtOnce\)/);
      expect(done.timeToContainMs).toBeGreaterThan(0);
      expect(done.timeline.some((t) => t.event === 'approved')).toBe(false);
    },
    'trust: { actAtOnce: [slack] }',
  );
});
