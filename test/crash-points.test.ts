import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, leakedKey, scratchDir, uniqueQueue, useTemporal } from './support/env';
import { crashThenTakeOver, inLanes, keysOf, leakInput, standardInventory } from './support/fixtures';

// Crash points: a worker dies right after each activity's side effect (before Temporal hears of it),
// a new worker takes over, and the incident still ends with every side effect exactly once.

// The first response (identify, plan, contain) is one activity; the contain step runs on its own when the
// policy contains after rotation, so that point runs with that policy.
const POINTS = ['firstResponse', 'describe', 'contain', 'regenerate', 'updateEnvironment', 'redeploy', 'awaitDeploy', 'verify', 'revoke', 'forgetSecret', 'writePostMortem'];
const POLICY: Record<string, string> = { contain: '{ contain: after-rotation }' };
const LANES = 6; // crash scenarios run side by side; each waits out an activity timeout

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

async function crashAt(point: string): Promise<string[]> {
  const leak = await leakedKey(`cp-${point.toLowerCase().slice(0, 10)}`);
  const taskQueue = uniqueQueue('crashpoint');
  const dataDir = scratchDir('crashpoint');
  const inventory = standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: POLICY[point] });
  const { incidentId, reached, worker, state } = await crashThenTakeOver(client, { taskQueue, inventory, dataDir, crashAfter: point, input: leakInput(leak.keyId) });
  const problems: string[] = [];
  if (!reached) problems.push(`${point}: the worker never reached the crash point`);

  try {
    const s = await state();
    const check = (ok: boolean, what: string) => ok || problems.push(`${point}: ${what}`);
    check(s.status === 'completed', `status ${s.status}`);
    const keys = (await keysOf(leak.user)).map((k) => k.id);
    check(keys.length === 1 && keys[0] === s.newCredential?.id, `keys ${keys.length} (expected only the new one)`);
    const sm = await new SecretsManagerClient(awsConfig()).send(new ListSecretVersionIdsCommand({ SecretId: `${leak.user}/api/aws` }));
    check(sm.Versions?.length === 1, `${sm.Versions?.length} Secrets Manager versions`);
    const ssm = await new SSMClient(awsConfig()).send(new GetParameterHistoryCommand({ Name: `/${leak.user}/worker/aws-secret` }));
    check(ssm.Parameters?.length === 1, `${ssm.Parameters?.length} SSM versions`);
    const deploys = [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId));
    check(deploys.length === 1, `${deploys.length} deploys`);
    const reports = readdirSync(path.join(dataDir, 'reports')).filter((f) => f.startsWith(incidentId));
    check(reports.length === 1 && reports[0] === `${incidentId}.md`, `post-mortem files: ${reports.join(', ')}`);
  } finally {
    await worker.stop();
  }
  return problems;
}

test(`a worker killed after each of ${POINTS.length} activities: every incident finishes with each side effect once`, async () => {
  const problems: string[] = [];
  await inLanes(POINTS, LANES, async (p) => void problems.push(...(await crashAt(p))));
  expect(problems).toEqual([]);
}, 300_000);
