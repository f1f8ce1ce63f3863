import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { leakedKey, testEnv, useTemporal } from '../support/env';
import { keysOf, leakWithCrash } from '../support/fixtures';

// A leaked AWS key whose consumers keep it in OpenBao: a worker dies right after writing the first
// consumer's secret (before Temporal hears of it), another takes over, and each OpenBao secret ends
// with exactly one new version holding the new key, beside the fields that were there.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

async function bao(method: string, p: string, body?: unknown) {
  const res = await fetch(`${testEnv().openbao.address}/v1/${p}`, { method, headers: { 'x-vault-token': testEnv().openbao.token }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json()) as any;
}

test('an incident writes each OpenBao consumer once, even when a worker dies after the write', async () => {
  const leak = await leakedKey('bao');
  await bao('POST', `secret/data/${leak.user}/api`, { data: { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' } });
  const inventory = `
stores:
  bao: { kind: openbao-kv, address: "${testEnv().openbao.address}" }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers:
      - { name: api, store: bao, key: "${leak.user}/api", field: json, deploy: api-hook }
      - { name: worker, store: bao, key: "${leak.user}/worker#AWS_SECRET_ACCESS_KEY", field: secretAccessKey }
`;
  const { incidentId, state: s, dataDir } = await leakWithCrash(client, { name: 'bao', inventory, keyId: leak.keyId, crashAfter: 'updateEnvironment' });
  expect(s.status).toBe('completed');
  const [newKey] = await keysOf(leak.user);
  expect(newKey?.id).toBe(s.newCredential?.id);
  const api = await bao('GET', `secret/data/${leak.user}/api`);
  expect(api.data.data).toMatchObject({ AWS_ACCESS_KEY_ID: newKey!.id, LOG_LEVEL: 'info' });
  expect(api.data.data.AWS_SECRET_ACCESS_KEY).not.toBe(leak.secret);
  expect(api.data.metadata.version).toBe(2); // the leaked key's version, then the incident's one
  const wk = await bao('GET', `secret/data/${leak.user}/worker`);
  expect(wk.data.data.AWS_SECRET_ACCESS_KEY).toBe(api.data.data.AWS_SECRET_ACCESS_KEY);
  expect(wk.data.metadata.version).toBe(1);
  expect(s.storeWrites.map((w) => w.store)).toEqual(['bao', 'bao']);
  expect([...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId))).toHaveLength(1);
  expect(readdirSync(path.join(dataDir, 'reports'))).toEqual([`${incidentId}.md`]);
});
