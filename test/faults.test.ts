import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { FaultProxy } from './support/fault-proxy';
import { keysOf, leakInput, standardInventory, waitForState, report } from './support/fixtures';

// Provider faults between Leakstop and AWS (moto behind a fault-injecting proxy): transient ones are
// retried with backoff until the incident finishes with every side effect once; permanent ones wait
// for a person with the incident open, and nothing is lost.

let client: Client;
const hook = new DeployHookServer();
const proxy = new FaultProxy(testEnv().motoEndpoint);
useTemporal((c) => (client = c), hook, proxy);

test('AWS throttling, 500s, 429s and an answer slower than the activity timeout are retried; the incident finishes once', async () => {
  const leak = await leakedKey('faults');
  const taskQueue = uniqueQueue('faults');
  const worker = await startWorker({ taskQueue, awsEndpoint: proxy.url, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    proxy.inject({ match: /Action=UpdateAccessKey/, times: 4, kind: 'throttle' }); // more than the SDK's own 3 attempts
    proxy.inject({ match: /Action=CreateAccessKey/, times: 2, kind: 'server-error' });
    proxy.inject({ match: /Action=GetAccessKeyLastUsed/, times: 1, kind: 'too-many' });
    proxy.inject({ match: /"SecretString"/, times: 1, kind: 'slow', delayMs: 12_000 }); // a Secrets Manager write, > the 10 s timeout
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.actions.filter((a) => a.outcome !== 'done')).toEqual([]); // no person was needed
    expect(proxy.injected.map((i) => i.kind)).toEqual(expect.arrayContaining(['throttle', 'server-error', 'too-many', 'slow']));
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
    const versions = await new SecretsManagerClient(awsConfig()).send(new ListSecretVersionIdsCommand({ SecretId: `${leak.user}/api/aws` }));
    expect(versions.Versions).toHaveLength(1);
  } finally {
    await worker.stop();
  }
}, 120_000);

test('a permanent AWS error (403 AccessDenied) is not retried blindly: it waits for a person with the incident open; retry after the fix finishes it', async () => {
  const leak = await leakedKey('denied');
  const taskQueue = uniqueQueue('denied');
  const worker = await startWorker({ taskQueue, awsEndpoint: proxy.url, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    proxy.inject({ match: /Action=DeleteAccessKey/, times: 1_000, kind: 'denied' });
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const waiting = await waitForState(client, incidentId, (st) => st.status === 'waiting', 90_000);
    expect(waiting.waiting[0]).toMatchObject({ phase: 'revoke', kind: 'decision', reason: expect.stringContaining('AccessDenied') });
    expect(proxy.injected.filter((i) => i.kind === 'denied')).toHaveLength(1); // escalated at once, not retried
    expect((await client.workflow.getHandle(incidentId).describe()).status.name).toBe('RUNNING');
    expect(await keysOf(leak.user)).toHaveLength(2); // the leaked key is contained, not lost track of
    proxy.clear(); // the fault is fixed
    await client.workflow.getHandle(incidentId).executeUpdate('decide', { args: [{ decision: 'retry', by: 'jo' }] });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
  } finally {
    await worker.stop();
  }
}, 150_000);

test('a first response that cannot contain hands over to the contain step, which waits for a person; retry after the fix contains', async () => {
  const leak = await leakedKey('first-denied');
  const taskQueue = uniqueQueue('first-denied');
  const worker = await startWorker({ taskQueue, awsEndpoint: proxy.url, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    proxy.inject({ match: /Action=UpdateAccessKey/, times: 1_000, kind: 'denied' });
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const waiting = await waitForState(client, incidentId, (st) => st.waiting.some((w) => w.phase === 'contain'), 90_000);
    expect(waiting.waiting.find((w) => w.phase === 'contain')).toMatchObject({ kind: 'decision', step: 'deactivate key', reason: expect.stringContaining('AccessDenied') });
    expect(waiting.timeline.map((t) => t.event)).toContainEqual(expect.stringMatching(/^first response could not contain: .*AccessDenied.*; trying again as a step$/));
    expect(proxy.injected.filter((i) => i.kind === 'denied' && i.what === 'UpdateAccessKey')).toHaveLength(2); // once in the first response, once in the step
    expect((await keysOf(leak.user)).find((k) => k.id === leak.keyId)?.status).toBe('Active');
    proxy.clear();
    await client.workflow.getHandle(incidentId).executeUpdate('decide', { args: [{ decision: 'retry', by: 'jo', step: 'deactivate key' }] });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.containment).toMatchObject({ changed: true });
  } finally {
    await worker.stop();
  }
}, 150_000);
