import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { freePort } from '../../worker/net';
import { connectClient } from '../../worker/temporal-client';
import { approveUpdate } from '../../workflows/definitions';
import { awsConfig, codecKeys, leakedKey, scratchDir, testEnv, uniqueQueue } from '../support/env';
import { callerArn, keysOf, waitForState } from '../support/fixtures';
import { spawnLeakstop, type LeakstopProcess } from '../support/leakstop-process';
import { startTemporalCluster, type TemporalCluster } from '../support/temporal-cluster';
import { signedGeneric } from '../webhooks/harness';
import { databaseBytes, findLeaks } from '../support/canary';

// The production topology, run: the Temporal server built from Go (the release docker-compose.yml runs)
// on PostgreSQL as separate frontend, two history, matching and worker processes; three Leakstop
// workers, each with its own data folder and no disk in common, sharing the PostgreSQL vault; one
// ingress. Leaks come in as signed webhooks. In the middle of a burst a history node and a Leakstop
// worker are SIGKILLed: every incident still finishes, every side effect happens once (one new key, one
// secret version, one deploy), and the ingress never answers 5xx.

jest.setTimeout(600_000);

const BURST = 10;
const webhookSecret = randomBytes(16).toString('hex');
const hook = new DeployHookServer();
const taskQueue = uniqueQueue('cluster');
const sm = new SecretsManagerClient(awsConfig());
let cluster: TemporalCluster;
let client: Client;
let closeClient: () => Promise<void>;
let vaultUrl: string;
let vaultDb: string;
/** The shared vault's table while an incident waits between regenerate and the stores (the canary reads it). */
let vaultInFlight: Buffer;
let burst: Awaited<ReturnType<typeof leakedKey>>[];
let handover: Awaited<ReturnType<typeof leakedKey>>;
let inventoryFile: string;
let ingressUrl: string;
const processes: LeakstopProcess[] = [];

/** worker/main.ts as one host of the deployment: its own data folder, the shared vault and cluster. */
async function leakstop(name: string, role: 'worker' | 'ingress', extra: Record<string, string> = {}) {
  const env = testEnv();
  const p = await spawnLeakstop(name, {
    LEAKSTOP_ROLE: role,
    TEMPORAL_ADDRESS: cluster.address,
    LEAKSTOP_TASK_QUEUE: taskQueue,
    LEAKSTOP_CONFIG: inventoryFile,
    LEAKSTOP_DATA_DIR: scratchDir(`host-${name}`),
    LEAKSTOP_VAULT_URL: vaultUrl,
    LEAKSTOP_WORKFLOW_BUNDLE: env.bundlePath,
    LEAKSTOP_AWS_ENDPOINT: env.motoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: env.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.admin.secretAccessKey,
    LEAKSTOP_HTTP_HOST: '127.0.0.1',
    LEAKSTOP_METRICS_PORT: String(await freePort()),
    LEAKSTOP_GENERIC_WEBHOOK_SECRET: webhookSecret,
    ...extra,
  });
  processes.push(p);
  return p;
}

beforeAll(async () => {
  const dir = scratchDir('cluster');
  cluster = await startTemporalCluster({ postgres: testEnv().postgres, dir: path.join(dir, 'temporal') });
  // The vault's database is the one the compose file's temporal-schema job creates, as compose passes it.
  vaultUrl = cluster.vaultUrl;
  vaultDb = cluster.databases.vault;
  await hook.start();
  ({ client, close: closeClient } = await connectClient({ address: cluster.address, keys: codecKeys() }));
  burst = await Promise.all(Array.from({ length: BURST }, (_, i) => leakedKey(`cl-burst-${i}`)));
  handover = await leakedKey('cl-handover');
  inventoryFile = path.join(dir, 'leakstop.yaml');
  const consumer = (user: string) => `[{ name: app, store: sm, key: "${user}/aws", deploy: hook }]`;
  writeFileSync(
    inventoryFile,
    `
# The deployment's own scanner posts to the generic webhook: its reports are acted on at once.
trust: { actAtOnce: [generic] }
stores: { sm: { kind: aws-secrets-manager } }
deployers: { hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms } }
credentials:
${burst.map((l) => `  - { provider: aws-iam, owner: ${l.user}, consumers: ${consumer(l.user)} }`).join('\n')}
  - { provider: aws-iam, owner: ${handover.user}, consumers: ${consumer(handover.user)}, policy: { approvals: [update-environments] } }
`,
  );
}, 600_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await closeClient?.();
  await cluster?.stop();
  await hook.stop();
  sm.destroy();
});

/** Posts a leak report to the ingress's generic webhook, as a scanner would. */
async function reportThrough(url: string, keyId: string): Promise<number> {
  const body = JSON.stringify({ provider: 'aws-iam', credentialId: keyId, requestedBy: 'scanner', exposure: { source: 'generic', public: true } });
  const res = await fetch(`${url}/webhooks/generic`, { method: 'POST', body, headers: signedGeneric(body, { secret: webhookSecret }) });
  await res.arrayBuffer();
  return res.status;
}

/** The incident's result; if it does not come, where it stands and what the hosts said, to tell why. */
async function finished(incidentId: string, timeoutMs = 90_000): Promise<IncidentState> {
  const handle = client.workflow.getHandle(incidentId);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const d = await handle.describe().catch((err) => ({ error: String(err) }));
      const state = await handle.query<IncidentState>('status').catch((err) => String(err));
      const hosts = processes.map((p) => `--- ${p.name}\n${p.output().slice(-1500)}`).join('\n');
      reject(new Error(`${incidentId} did not finish in ${timeoutMs} ms: ${JSON.stringify(d).slice(0, 1500)}\nstate: ${JSON.stringify(state).slice(0, 1500)}\n${hosts}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([handle.result() as Promise<IncidentState>, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the incident did, counted where it happened: keys in IAM, versions in Secrets Manager, deploys at the hook. */
async function sideEffects(user: string, incidentId: string) {
  const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: `${user}/aws`, IncludeDeprecated: true }));
  return {
    keys: (await keysOf(user)).map((k) => k.id),
    secretVersions: versions.Versions?.length ?? 0,
    deploys: [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(`${incidentId}:`)).length,
  };
}

test('a burst of leaks survives a history node and a Leakstop worker killed in the middle: every incident finishes, each side effect once, no 5xx', async () => {
  const workers = [await leakstop('worker-1', 'worker'), await leakstop('worker-2', 'worker'), await leakstop('worker-3', 'worker')];
  const httpPort = await freePort();
  await leakstop('ingress', 'ingress', { LEAKSTOP_HTTP_PORT: String(httpPort) });
  ingressUrl = `http://127.0.0.1:${httpPort}`;

  const statuses: number[] = [];
  const half = BURST / 2;
  statuses.push(...(await Promise.all(burst.slice(0, half).map((l) => reportThrough(ingressUrl, l.keyId)))));
  // The first half is under way (containment, regenerate): a history node and a worker host are lost.
  const running = await Promise.all(burst.slice(0, half).map(async (l) => (await client.workflow.getHandle(incidentIdFor('aws-iam', l.keyId)).describe()).status.name));
  await Promise.all([cluster.kill('temporal-history-1'), workers[0]!.kill('SIGKILL')]);
  expect(running.filter((r) => r === 'RUNNING').length).toBeGreaterThan(0);
  statuses.push(...(await Promise.all(burst.slice(half).map((l) => reportThrough(ingressUrl, l.keyId)))));

  expect(statuses.filter((s) => s >= 500)).toEqual([]);
  expect(statuses.every((s) => s === 202 || s === 200)).toBe(true);

  const settled = await Promise.allSettled(burst.map((l) => finished(incidentIdFor('aws-iam', l.keyId))));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const states = settled.map((r) => (r as PromiseFulfilledResult<IncidentState>).value);
  for (const [i, s] of states.entries()) {
    const l = burst[i]!;
    expect({ key: l.keyId, status: s.status }).toEqual({ key: l.keyId, status: 'completed' });
    expect(await sideEffects(l.user, incidentIdFor('aws-iam', l.keyId))).toEqual({ keys: [s.newCredential!.id], secretVersions: 1, deploys: 1 });
  }
  await cluster.restart('temporal-history-1');
});

test('an incident whose regenerate ran on one worker host has its stores updated by another (the vault is shared, not on disk)', async () => {
  const first = await leakstop('handover-a', 'worker');
  const incidentId = incidentIdFor('aws-iam', handover.keyId);
  // Only host A polls this queue now (the burst's workers are gone or are stopped here).
  for (const p of processes.filter((p) => p.name.startsWith('worker-'))) await p.kill('SIGKILL');
  expect(await reportThrough(ingressUrl, handover.keyId)).toBe(202);
  // Host A regenerated the key (the new secret is in the vault) and the incident waits before the stores.
  await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.phase === 'update-environments'), 120_000);
  vaultInFlight = await databaseBytes(testEnv().postgres, vaultDb);
  expect(vaultInFlight.length).toBeGreaterThan(0); // the new key waits there, encrypted
  await first.kill('SIGKILL');
  await leakstop('handover-b', 'worker');
  await client.workflow.getHandle(incidentId).executeUpdate(approveUpdate, { args: [{ phase: 'update-environments', by: 'kim' }] });
  const s = await finished(incidentId);
  expect(s.status).toBe('completed');
  // Host B wrote the secret that host A made: the key in the store is the new one, and it works.
  const stored = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `${handover.user}/aws` }))).SecretString!);
  expect(stored.AWS_ACCESS_KEY_ID).toBe(s.newCredential!.id);
  expect(await callerArn(stored.AWS_ACCESS_KEY_ID, stored.AWS_SECRET_ACCESS_KEY)).toContain(`:user/${handover.user}`);
  expect(await sideEffects(handover.user, incidentId)).toEqual({ keys: [s.newCredential!.id], secretVersions: 1, deploys: 1 });
  // Once the incident is over, nothing of it stays in the vault.
  expect((await databaseBytes(testEnv().postgres, vaultDb)).length).toBe(0);
});

test('the canary, on the cluster: no secret in Temporal\'s PostgreSQL databases, the shared vault, the database log or any process\'s output', async () => {
  const pg = testEnv().postgres;
  const everyone = [...burst, handover];
  const secrets: Record<string, string> = { "Leakstop's own AWS secret": testEnv().admin.secretAccessKey, 'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]! };
  for (const l of everyone) {
    secrets[`${l.user}: leaked secret`] = l.secret;
    secrets[`${l.user}: new secret`] = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `${l.user}/aws` }))).SecretString!).AWS_SECRET_ACCESS_KEY;
  }
  const sinks: Record<string, string | Buffer> = {
    'Temporal database': await databaseBytes(pg, cluster.databases.main),
    'Temporal visibility database': await databaseBytes(pg, cluster.databases.visibility),
    'shared vault, while an incident waited': vaultInFlight,
    'PostgreSQL log': readFileSync(pg.logFile),
  };
  for (const p of cluster.processes.values()) sinks[`${p.name} log`] = readFileSync(p.log);
  for (const p of processes) sinks[`${p.name} output`] = p.output();
  expect(Object.entries(sinks).flatMap(([name, bytes]) => findLeaks(name, bytes, secrets))).toEqual([]);
});
