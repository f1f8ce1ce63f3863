import { existsSync, readFileSync } from 'node:fs';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { parseInventory } from '../providers';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { reconcileRotationSchedules, rotationScheduleId } from '../worker/schedules';
import { awsConfig, eventually, iam, leakedKey, scratchDir, startWorker, uniqueQueue, useTemporal } from './support/env';
import { leakInput, report, stsAs, waitForState } from './support/fixtures';
import { rotationYielder } from '../worker/rotations';
import { spawnWorker } from './support/worker-child';

// Scheduled rotation (issue 14) against the dev server (which implements Schedules) and moto: the
// inventory's rotateEvery makes a schedule per credential; a run triggered now rotates the key with zero
// downtime (an application reading the secret and calling AWS never fails), and a worker that dies in
// the middle leaves exactly one new key, one secret version and one deploy.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const inventoryFor = (o: { owner: string; tag: string; every?: string; name?: string; approvals?: string; policy?: string }) => `
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
credentials:
  - provider: aws-iam
    owner: ${o.owner}
${o.name ? `    name: ${o.name}\n` : ''}${o.policy ? `    policy: ${o.policy}\n` : ''}${o.every ? `    rotateEvery: ${o.every}\n` : ''}${o.approvals ? `    rotation: { approvals: [${o.approvals}] }\n` : ''}    consumers:
      - { name: api, store: prod-sm, key: "${o.tag}/api/aws", deploy: api-hook }
`;

/** The consumer as it stands before any rotation: the application's secret holds the key in use. */
async function seedConsumer(tag: string, keyId: string, secret: string): Promise<SecretsManagerClient> {
  const sm = new SecretsManagerClient(awsConfig());
  await sm.send(new CreateSecretCommand({ Name: `${tag}/api/aws`, SecretString: JSON.stringify({ AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret }) }));
  return sm;
}

const readConsumer = async (sm: SecretsManagerClient, tag: string) => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `${tag}/api/aws` }))).SecretString!) as Record<string, string>;

test('rotateEvery makes the schedule, a change updates it, a pause survives reconciling, and removing it deletes the schedule', async () => {
  const taskQueue = uniqueQueue('rotation-schedules');
  const owner = `svc-rot-${Date.now()}`;
  const handle = client.schedule.getHandle(rotationScheduleId(taskQueue, `aws-iam-${owner}`));
  try {
    expect(await reconcileRotationSchedules(client, taskQueue, parseInventory(inventoryFor({ owner, tag: owner, every: '30d' })))).toEqual({ [`aws-iam-${owner}`]: 'created' });
    const made = await handle.describe();
    expect(made.spec.intervals).toEqual([{ every: 30 * 86_400_000, offset: undefined }]);
    expect(made.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(made.action).toMatchObject({ type: 'startWorkflow', workflowType: 'rotationWorkflow', taskQueue, args: [{ credential: `aws-iam-${owner}` }] });
    expect(await reconcileRotationSchedules(client, taskQueue, parseInventory(inventoryFor({ owner, tag: owner, every: '30d' })))).toEqual({ [`aws-iam-${owner}`]: 'unchanged' });

    await handle.pause('change freeze');
    expect(await reconcileRotationSchedules(client, taskQueue, parseInventory(inventoryFor({ owner, tag: owner, every: '7d' })))).toEqual({ [`aws-iam-${owner}`]: 'updated' });
    const updated = await handle.describe();
    expect(updated.spec.intervals).toEqual([{ every: 7 * 86_400_000, offset: undefined }]);
    expect(updated.state).toMatchObject({ paused: true, note: 'change freeze' });

    // The entry no longer rotates: its schedule goes (visibility lists schedules a moment after they change).
    await eventually(async () => {
      const did = await reconcileRotationSchedules(client, taskQueue, parseInventory(inventoryFor({ owner, tag: owner })));
      return did[`aws-iam-${owner}`] === 'deleted' || undefined;
    }, 30_000, 'the schedule deleted');
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  } finally {
    await handle.delete().catch(() => undefined);
  }
});

test('a triggered rotation replaces the key with zero downtime: new key written and deployed, then the old one deleted, and a rotation record', async () => {
  const old = await leakedKey('svc-rotate');
  const taskQueue = uniqueQueue('rotation');
  const sm = await seedConsumer(old.user, old.keyId, old.secret);
  const inventory = inventoryFor({ owner: old.user, tag: old.user, every: '30d', name: `rot-${old.user}` });
  const worker = await startWorker({ taskQueue, inventory });
  const schedule = client.schedule.getHandle(rotationScheduleId(taskQueue, `rot-${old.user}`));
  // The application: reads its secret and calls AWS with it, over and over, for the whole rotation.
  let calls = 0;
  const failures: string[] = [];
  let running = true;
  const app = (async () => {
    while (running) {
      const creds = await readConsumer(sm, old.user);
      await stsAs(creds.AWS_ACCESS_KEY_ID!, creds.AWS_SECRET_ACCESS_KEY!)
        .send(new GetCallerIdentityCommand({}))
        .then(() => calls++, (err) => failures.push(`${creds.AWS_ACCESS_KEY_ID}: ${(err as Error).name}`));
    }
  })();
  try {
    await reconcileRotationSchedules(client, taskQueue, parseInventory(inventory));
    const before = Date.now();
    await schedule.trigger();
    const runId = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the triggered run');
    expect(runId).toMatch(new RegExp(`^rotation-${taskQueue}-rot-${old.user}-`));
    const state: IncidentState = await client.workflow.getHandle(runId).result();
    running = false;
    await app;

    expect(state.status).toBe('completed');
    expect(state.rotation).toMatchObject({ key: `rot-${old.user}`, oldCredentialId: old.keyId });
    expect(state.containment).toBeUndefined();
    expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
    // The order that makes it zero downtime: written, deployed, verified, and only then the old key deleted.
    const steps = state.actions.map((a) => a.step);
    expect(steps).toEqual(['create key', 'write api', 'redeploy api', 'check keys', 'delete old key']);
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: old.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.newCredential!.id]);
    const now = await readConsumer(sm, old.user);
    expect(now.AWS_ACCESS_KEY_ID).toBe(state.newCredential!.id);
    expect((await stsAs(now.AWS_ACCESS_KEY_ID!, now.AWS_SECRET_ACCESS_KEY!).send(new GetCallerIdentityCommand({}))).Arn).toMatch(new RegExp(`:user/${old.user}$`));
    await expect(stsAs(old.keyId, old.secret).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    expect([...hook.deploys.values()].filter((d) => JSON.stringify(d.body).includes(state.incidentId))).toHaveLength(1);

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(3);

    const file = state.postMortem!.url.replace(/^file:\/\//, '');
    expect(file).toMatch(new RegExp(`leak-rotation-rot-${old.user}-\\d{8}t\\d{4}`));
    expect(existsSync(file)).toBe(true);
    const record = readFileSync(file, 'utf8');
    expect(record).toMatch(new RegExp(`^# Rotation record: aws-iam credential rot-${old.user}\\n`));
    expect(record).toContain('| Status | **completed** |');
    expect(record).not.toContain(old.secret);
    expect(record).not.toContain(now.AWS_SECRET_ACCESS_KEY);
    expect(Date.parse(state.finishedAt!)).toBeGreaterThanOrEqual(before);
  } finally {
    running = false;
    await app;
    await schedule.delete().catch(() => undefined);
    await worker.stop();
    sm.destroy();
  }
});

test('a worker that dies right after making the new key: another takes over, and there is one new key, one secret version, one deploy', async () => {
  const old = await leakedKey('svc-rotate-crash');
  const taskQueue = uniqueQueue('rotation-crash');
  const sm = await seedConsumer(old.user, old.keyId, old.secret);
  const inventory = inventoryFor({ owner: old.user, tag: old.user, every: '30d' });
  const dataDir = scratchDir('rotation-crash');
  const doomed = await spawnWorker({ taskQueue, inventory, dataDir, crashAfter: 'regenerate' });
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    const run = await client.workflow.start('rotationWorkflow', { taskQueue, workflowId: `rotation-${taskQueue}`, args: [{ credential: `aws-iam-${old.user}` }] });
    const reached = await Promise.race([doomed.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    await doomed.kill();
    expect(reached).toBe(true);
    worker = await startWorker({ taskQueue, inventory, dataDir });
    const state: IncidentState = await run.result();
    expect(state.status).toBe('completed');
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: old.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.newCredential!.id]);
    expect((await readConsumer(sm, old.user)).AWS_ACCESS_KEY_ID).toBe(state.newCredential!.id);
    // The seeded version and the rotation's one.
    expect((await sm.send(new ListSecretVersionIdsCommand({ SecretId: `${old.user}/api/aws` }))).Versions).toHaveLength(2);
    expect([...hook.deploys.values()].filter((d) => JSON.stringify(d.body).includes(state.incidentId))).toHaveLength(1);
  } finally {
    await doomed.kill();
    await worker?.stop();
    sm.destroy();
  }
});

test('a leak reported while the credential is being rotated: the incident contains first and takes over, the rotation stops and deletes its key, one new key remains', async () => {
  const old = await leakedKey('svc-rotate-leak');
  const taskQueue = uniqueQueue('rotation-leak');
  const sm = await seedConsumer(old.user, old.keyId, old.secret);
  // The rotation waits for an approver before revoking: it has made its key and written the consumer.
  const inventory = inventoryFor({ owner: old.user, tag: old.user, every: '30d', approvals: 'revoke' });
  const worker = await startWorker({ taskQueue, inventory, rotations: rotationYielder(client, taskQueue, parseInventory(inventory)) });
  try {
    const rotationRun = await client.workflow.start('rotationWorkflow', { taskQueue, workflowId: `rotation-${taskQueue}-aws-iam-${old.user}-now`, args: [{ credential: `aws-iam-${old.user}` }] });
    const waiting = await waitForState(client, rotationRun.workflowId, (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === 'revoke'));
    const rotationKey = waiting.newCredential!.id;
    expect((await readConsumer(sm, old.user)).AWS_ACCESS_KEY_ID).toBe(rotationKey);

    const { incidentId } = await report(client, taskQueue, leakInput(old.keyId));
    const incident: IncidentState = await client.workflow.getHandle(incidentId).result();
    const rotation: IncidentState = await rotationRun.result();

    expect(incident.status).toBe('completed');
    expect(incident.containment?.changed).toBe(true);
    expect(incident.timeline.some((t) => t.event === `stopped the scheduled rotation ${rotationRun.workflowId}: this incident makes the new credential`)).toBe(true);
    expect(rotation.status).toBe('aborted');
    expect(rotation.rotation?.supersededBy).toBe(incidentId);
    expect(rotation.actions).toContainEqual(expect.objectContaining({ step: "delete the rotation's new key", outcome: 'done' }));
    // One new credential in the end: the incident's, everywhere; the leaked key and the rotation's are gone.
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: old.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([incident.newCredential!.id]);
    expect(incident.newCredential!.id).not.toBe(rotationKey);
    expect((await readConsumer(sm, old.user)).AWS_ACCESS_KEY_ID).toBe(incident.newCredential!.id);
  } finally {
    await worker.stop();
    sm.destroy();
  }
});

test('a rotation planned while an incident of its credential runs makes nothing: the incident makes the new credential', async () => {
  const old = await leakedKey('svc-rotate-during');
  const taskQueue = uniqueQueue('rotation-during');
  const sm = await seedConsumer(old.user, old.keyId, old.secret);
  // The incident waits for an approver before containing: the key is still active, and the incident holds it.
  const inventory = inventoryFor({ owner: old.user, tag: old.user, every: '30d', policy: '{ approvals: [contain] }' });
  const worker = await startWorker({ taskQueue, inventory, rotations: rotationYielder(client, taskQueue, parseInventory(inventory)) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(old.keyId));
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'approval' && w.phase === 'contain'));
    const rotation: IncidentState = await (await client.workflow.start('rotationWorkflow', { taskQueue, workflowId: `rotation-${taskQueue}-aws-iam-${old.user}-late`, args: [{ credential: `aws-iam-${old.user}` }] })).result();
    expect(rotation.status).toBe('completed');
    expect(rotation.newCredential).toBeUndefined();
    expect(rotation.timeline.map((t) => t.event)).toContain(`nothing to rotate: incident ${incidentId} is handling a leak of this credential: it makes the new credential`);
    // Only the leaked key: the rotation made none.
    expect((await iam().send(new ListAccessKeysCommand({ UserName: old.user }))).AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([old.keyId]);
    await client.workflow.getHandle(incidentId).terminate('the test ends here');
  } finally {
    await worker.stop();
    sm.destroy();
  }
});

test('a leak reported the moment its scheduled rotation is triggered: whichever starts first, one new key remains, the incident’s, in the consumer', async () => {
  const old = await leakedKey('svc-rotate-race');
  const taskQueue = uniqueQueue('rotation-race');
  const sm = await seedConsumer(old.user, old.keyId, old.secret);
  const inventory = inventoryFor({ owner: old.user, tag: old.user, every: '30d' });
  const schedule = client.schedule.getHandle(rotationScheduleId(taskQueue, `aws-iam-${old.user}`));
  const worker = await startWorker({ taskQueue, inventory, rotations: rotationYielder(client, taskQueue, parseInventory(inventory)) });
  try {
    await reconcileRotationSchedules(client, taskQueue, parseInventory(inventory));
    // Neither waits for the other: well inside visibility's lag.
    const [{ incidentId }] = await Promise.all([report(client, taskQueue, leakInput(old.keyId)), schedule.trigger()]);
    const runId = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId, 30_000, 'the triggered run');
    const incident: IncidentState = await client.workflow.getHandle(incidentId).result();
    const rotation: IncidentState = await client.workflow.getHandle(runId).result();

    expect(incident.status).toBe('completed');
    // The incident stopped the run (found through its schedule), or the run found the incident when it planned, or both.
    const stopped = incident.timeline.some((t) => t.event === `stopped the scheduled rotation ${runId}: this incident makes the new credential`);
    const stoodDown = rotation.timeline.some((t) => /^nothing to rotate: /.test(t.event));
    expect(stopped || stoodDown).toBe(true);
    expect(rotation.newCredential === undefined || rotation.rotation?.supersededBy === incidentId).toBe(true);
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: old.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([incident.newCredential!.id]);
    expect((await readConsumer(sm, old.user)).AWS_ACCESS_KEY_ID).toBe(incident.newCredential!.id);
  } finally {
    await worker.stop();
    await schedule.delete().catch(() => undefined);
    sm.destroy();
  }
});
