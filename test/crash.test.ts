import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, leakedKey, scratchDir, startWorker, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, standardInventory, report } from './support/fixtures';
import { spawnWorker } from './support/worker-child';

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('a worker killed in the middle of the runbook: a new worker finishes it with every side effect once', async () => {
  const leak = await leakedKey('crash');
  const taskQueue = uniqueQueue('crash');
  const dataDir = scratchDir('crash');
  const inventory = standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url });
  const worker1 = await spawnWorker({ taskQueue, inventory, dataDir });
  try {
    // Hold the deploy "running" and kill the worker while it follows it: the keys are rotated and the
    // secrets written, the deploy was requested, the runbook is half done.
    hook.gate = false;
    const polled = new Promise<void>((resolve) => (hook.onPoll = () => resolve()));
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    await polled;
    await worker1.kill('SIGKILL');
    hook.gate = true;

    const worker = await startWorker({ taskQueue, inventory, dataDir });
    try {
      const s: IncidentState = await client.workflow.getHandle(incidentId).result();
      expect(s.status).toBe('completed');
      // Exactly one new key, the leaked one gone.
      expect((await keysOf(leak.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
      // One secret version per store.
      const sm = await new SecretsManagerClient(awsConfig()).send(new ListSecretVersionIdsCommand({ SecretId: `${leak.user}/api/aws` }));
      expect(sm.Versions).toHaveLength(1);
      const ssm = await new SSMClient(awsConfig()).send(new GetParameterHistoryCommand({ Name: `/${leak.user}/worker/aws-secret` }));
      expect(ssm.Parameters).toHaveLength(1);
      // One deploy: the retried attempt followed the same deploy instead of starting another.
      const mine = [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.posts).toBe(1);
    } finally {
      await worker.stop();
    }
  } finally {
    hook.onPoll = undefined;
    await worker1.kill();
  }
});
