import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, controlFor, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, report, waitForState } from './support/fixtures';

// Discovery during an incident: a leaked AWS key the inventory lists in one Secrets Manager secret also
// sits, unlisted, in another secret (beside other settings), in an SSM parameter, in an OpenBao secret and
// inside a note. The search runs while the key is contained; a person is asked; once they say yes the new
// key is written to every writable place (the other settings kept), the note is left to a person, and the
// post-mortem lists each place with the inventory entries to paste. With `report`, nothing is written.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);
const sm = new SecretsManagerClient(awsConfig());
const ssm = new SSMClient(awsConfig());
afterAll(() => (sm.destroy(), ssm.destroy()));

async function bao(method: string, p: string, body?: unknown) {
  const res = await fetch(`${testEnv().openbao.address}/v1/${p}`, { method, headers: { 'x-vault-token': testEnv().openbao.token }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json()) as any;
}

async function seeded(mode: 'ask' | 'report') {
  const leak = await leakedKey(`disc-${mode}`);
  const tag = leak.user;
  const pair = { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret };
  await sm.send(new CreateSecretCommand({ Name: `${tag}/api`, SecretString: JSON.stringify(pair) }));
  await sm.send(new CreateSecretCommand({ Name: `${tag}/legacy`, SecretString: JSON.stringify({ ...pair, REGION: 'eu-west-1' }) }));
  await sm.send(new CreateSecretCommand({ Name: `${tag}/readme`, SecretString: `the batch job uses ${leak.keyId}` }));
  await ssm.send(new PutParameterCommand({ Name: `/${tag}/batch/key-id`, Value: leak.keyId, Type: 'String' }));
  await bao('POST', `secret/data/${tag}/etl`, { data: { ...pair, SCHEDULE: 'hourly' } });
  const inventory = `
stores:
  sm: { kind: aws-secrets-manager }
  ssm: { kind: aws-ssm }
  bao: { kind: openbao-kv, address: "${testEnv().openbao.address}" }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
discovery:
  sources: { sm: { prefixes: ["${tag}/"] }, ssm: { prefixes: ["/${tag}"] }, bao: { prefixes: ["${tag}"] } }
  discovered: ${mode}
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers: [{ name: api, store: sm, key: "${tag}/api", deploy: api-hook }]
`;
  const taskQueue = uniqueQueue(`disc-${mode}`);
  const worker = await startWorker({ taskQueue, inventory });
  return { leak, tag, taskQueue, worker };
}

const smValue = async (id: string) => (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;

test('ask: found while containing, added after a person says yes, written beside the other settings', async () => {
  const { leak, tag, taskQueue, worker } = await seeded('ask');
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const asked = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.step === 'add discovered places'));
    expect(asked.containment?.changed).toBe(true); // the search did not hold containment up
    expect(asked.discovered?.places.map((p) => `${p.store} ${p.key} ${p.field ?? 'in text'} ${p.matchedBy}`).sort()).toEqual(
      [`bao ${tag}/etl json id`, `sm ${tag}/legacy json id`, `sm ${tag}/readme in text id`, `ssm /${tag}/batch/key-id accessKeyId id`].sort(),
    );
    await controlFor(client, taskQueue).decide(incidentId, { decision: 'retry', by: 'erin', step: 'add discovered places' });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.discovered?.added).toEqual({ by: 'erin', names: expect.arrayContaining([`discovered-sm-${tag}-legacy`, `discovered-bao-${tag}-etl`]) });
    const [newKey] = await keysOf(leak.user);
    const api = JSON.parse(await smValue(`${tag}/api`));
    expect(api.AWS_ACCESS_KEY_ID).toBe(newKey!.id);
    expect(JSON.parse(await smValue(`${tag}/legacy`))).toEqual({ ...api, REGION: 'eu-west-1' });
    expect((await ssm.send(new GetParameterCommand({ Name: `/${tag}/batch/key-id`, WithDecryption: true }))).Parameter?.Value).toBe(newKey!.id);
    expect((await bao('GET', `secret/data/${tag}/etl`)).data.data).toEqual({ ...api, SCHEDULE: 'hourly' });
    expect(await smValue(`${tag}/readme`)).toBe(`the batch job uses ${leak.keyId}`);
    const pm = readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8');
    expect(pm).toContain('## Found during the incident');
    expect(pm).toContain(`Added to this incident's consumers by erin`);
    expect(pm).toContain(`  - { name: ssm-${tag}-batch-key-id, store: ssm, key: "/${tag}/batch/key-id", field: accessKeyId }`);
    expect(pm).not.toContain(leak.secret);
  } finally {
    await worker.stop();
  }
});

test('report: the places are listed on the timeline and in the post-mortem, and nothing is written there', async () => {
  const { leak, tag, taskQueue, worker } = await seeded('report');
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.discovered).toMatchObject({ mode: 'report', problems: [] });
    expect(s.discovered?.added).toBeUndefined();
    expect(s.timeline.some((t) => t.event.startsWith('discovery found 4 place(s) the inventory does not list'))).toBe(true);
    expect(JSON.parse(await smValue(`${tag}/legacy`)).AWS_ACCESS_KEY_ID).toBe(leak.keyId);
    expect(s.storeWrites.map((w) => w.consumer)).toEqual(['api']);
    expect(readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8')).toContain('Reported only (discovery.discovered: report)');
  } finally {
    await worker.stop();
  }
});
