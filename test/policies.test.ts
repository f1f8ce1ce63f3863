import { CreateAccessKeyCommand, DeleteAccessKeyCommand, GetUserPolicyCommand } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { approveUpdate, decideUpdate } from '../workflows/definitions';
import { iam, leakedKey, startWorker, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, standardInventory, waitForState, report } from './support/fixtures';

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

async function withIncident(owner: string, input: Record<string, unknown>, body: (id: string) => Promise<void>, policy?: string) {
  const taskQueue = uniqueQueue('policy');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner, tag: owner, hookUrl: hook.url, policy }) });
  try {
    const { incidentId } = await report(client, taskQueue, input);
    await body(incidentId);
  } finally {
    await worker.stop();
  }
}

const order = (s: IncidentState) => s.actions.filter((a) => a.outcome === 'done').map((a) => a.phase);

test('contain: immediate deactivates the key before regenerating it', async () => {
  const leak = await leakedKey('imm');
  await withIncident(leak.user, leakInput(leak.keyId), async (id) => {
    const s: IncidentState = await client.workflow.getHandle(id).result();
    const phases = order(s);
    expect(phases.indexOf('contain')).toBeLessThan(phases.indexOf('regenerate'));
    expect(s.verification!.oldDisabled).toBe(true);
    expect(s.timeToContainMs).toBeGreaterThan(0);
  }, '{ contain: immediate }');
});

test('contain: after-rotation rotates, updates and redeploys before the key is deactivated', async () => {
  const leak = await leakedKey('rot');
  await withIncident(leak.user, leakInput(leak.keyId), async (id) => {
    const s: IncidentState = await client.workflow.getHandle(id).result();
    expect(s.status).toBe('completed');
    const phases = order(s);
    for (const earlier of ['regenerate', 'update-environments', 'redeploy'] as const) {
      expect(phases.indexOf(earlier)).toBeLessThan(phases.indexOf('contain'));
    }
    expect(phases.indexOf('contain')).toBeLessThan(phases.indexOf('verify'));
    expect(phases.indexOf('verify')).toBeLessThan(phases.indexOf('revoke'));
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
  }, '{ contain: after-rotation }');
});

test('quarantine attaches a deny-all policy while contained and removes it at revoke', async () => {
  const leak = await leakedKey('quar');
  await withIncident(leak.user, leakInput(leak.keyId), async (id) => {
    await waitForState(client, id, (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === 'revoke'));
    const policy = await iam().send(new GetUserPolicyCommand({ UserName: leak.user, PolicyName: 'LeakstopQuarantine' }));
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument!)).Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*' });
    await client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'carol' }] });
    const s: IncidentState = await client.workflow.getHandle(id).result();
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'revoke', event: 'approved', by: 'carol' }));
    await expect(iam().send(new GetUserPolicyCommand({ UserName: leak.user, PolicyName: 'LeakstopQuarantine' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
  }, '{ quarantine: true, approvals: [revoke] }');
});

test('the 2-key limit escalates to a person, who frees a slot and retries', async () => {
  const leak = await leakedKey('limit');
  const other = (await iam().send(new CreateAccessKeyCommand({ UserName: leak.user }))).AccessKey!.AccessKeyId!;
  await withIncident(leak.user, leakInput(leak.keyId), async (id) => {
    const waiting = await waitForState(client, id, (s) => s.waiting.some((w) => w.step === 'create key'));
    expect(waiting.status).toBe('waiting');
    expect(waiting.waiting[0]!.reason).toMatch(/already has 2 access keys, IAM's limit.*keyLimit: revoke-leaked-first/);
    expect(await keysOf(leak.user)).toHaveLength(2); // nothing was deleted behind anyone's back

    await iam().send(new DeleteAccessKeyCommand({ UserName: leak.user, AccessKeyId: other }));
    await client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ decision: 'retry', by: 'dave' }] });
    const s: IncidentState = await client.workflow.getHandle(id).result();
    expect(s.status).toBe('completed');
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'retry chosen for create key', by: 'dave' }));
  });
});

test('keyLimit: revoke-leaked-first deletes the leaked key to make room and keeps the other key', async () => {
  const leak = await leakedKey('limit2');
  const other = (await iam().send(new CreateAccessKeyCommand({ UserName: leak.user }))).AccessKey!.AccessKeyId!;
  await withIncident(leak.user, leakInput(leak.keyId), async (id) => {
    const s: IncidentState = await client.workflow.getHandle(id).result();
    expect(s.status).toBe('completed');
    expect(s.newCredential!.removed).toEqual([leak.keyId]);
    expect((await keysOf(leak.user)).map((k) => k.id).sort()).toEqual([other, s.newCredential!.id].sort());
    expect(s.revocation!.changed).toBe(false); // already gone when revoke ran
  }, '{ keyLimit: revoke-leaked-first }');
});
