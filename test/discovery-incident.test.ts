import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, controlFor, iam, leakedKey, scratchDir, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, report, waitForState } from './support/fixtures';
import { namespace, providersYaml, secret, secretData } from './kubernetes/cluster';

// Discovery during an incident: a leaked AWS key the inventory lists in one Secrets Manager secret also
// sits, unlisted, in another secret (beside other settings), in an SSM parameter, in an OpenBao secret, in
// a Lambda function's environment, in an ECS task definition's container environment, in a Kubernetes
// Secret (all on the real servers: moto, OpenBao, kube-apiserver) and inside a note. The search runs while
// the key is contained; a person is asked; once they say yes the new key is written to every writable place
// (the other settings kept), the note is left to a person, and the post-mortem lists each place with the
// inventory entries to paste. With `report`, nothing is written.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);
const sm = new SecretsManagerClient(awsConfig());
const ssm = new SSMClient(awsConfig());
const lambda = new LambdaClient(awsConfig());
const ecs = new ECSClient(awsConfig());
afterAll(() => (sm.destroy(), ssm.destroy(), lambda.destroy(), ecs.destroy()));

async function bao(method: string, p: string, body?: unknown) {
  const res = await fetch(`${testEnv().openbao.address}/v1/${p}`, { method, headers: { 'x-vault-token': testEnv().openbao.token }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await res.json()) as any;
}

/** A Lambda function (on moto) whose environment holds `vars`. */
async function functionWith(name: string, vars: Record<string, string>): Promise<void> {
  const role = (await iam().send(new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!;
  const dir = scratchDir('lambda');
  execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile('${dir}/fn.zip','w');z.writestr('index.js','exports.handler=async()=>1');z.close()`]);
  const zip = readFileSync(`${dir}/fn.zip`);
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: role.Arn!, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: vars } }));
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
  await functionWith(`${tag}-billing`, { ...pair, LOG_LEVEL: 'info' });
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${tag}-batch`,
      containerDefinitions: [{ name: 'app', image: 'example/batch:1', memory: 128, environment: [{ name: 'AWS_ACCESS_KEY_ID', value: leak.keyId }, { name: 'AWS_SECRET_ACCESS_KEY', value: leak.secret }, { name: 'QUEUE', value: 'batch' }] }],
    }),
  );
  const ns = await namespace(`disc-${mode}`);
  await secret(ns, 'legacy-cron', { ...pair, RETRIES: '3' });
  const inventory = `${providersYaml()}
stores:
  sm: { kind: aws-secrets-manager }
  ssm: { kind: aws-ssm }
  bao: { kind: openbao-kv, address: "${testEnv().openbao.address}" }
  fn: { kind: aws-lambda-env }
  td: { kind: aws-ecs-task-definition }
  k8s: { kind: kubernetes-secret, cluster: test, namespace: ${ns} }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
discovery:
  sources:
    sm: { prefixes: ["${tag}/"] }
    ssm: { prefixes: ["/${tag}"] }
    bao: { prefixes: ["${tag}"] }
    fn: { prefixes: ["${tag}-"] }
    td: { prefixes: ["${tag}-"] }
    k8s: {}
  discovered: ${mode}
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers: [{ name: api, store: sm, key: "${tag}/api", deploy: api-hook }]
`;
  const taskQueue = uniqueQueue(`disc-${mode}`);
  const worker = await startWorker({ taskQueue, inventory });
  return { leak, tag, ns, taskQueue, worker };
}

const smValue = async (id: string) => (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;
const lambdaEnv = async (fn: string) => (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).Environment?.Variables;
const containerEnv = async (td: string, name = 'app') =>
  Object.fromEntries(((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: td }))).taskDefinition!.containerDefinitions!.find((c) => c.name === name)!.environment ?? []).map((e) => [e.name, e.value]));

test('ask: found while containing, added after a person says yes, written beside the other settings', async () => {
  const { leak, tag, ns, taskQueue, worker } = await seeded('ask');
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const asked = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.step === 'add discovered places'));
    expect(asked.containment?.changed).toBe(true); // the search did not hold containment up
    expect(asked.discovered?.places.map((p) => `${p.store} ${p.key} ${p.field ?? 'in text'} ${p.matchedBy}`).sort()).toEqual(
      [
        `bao ${tag}/etl json id`,
        `sm ${tag}/legacy json id`,
        `sm ${tag}/readme in text id`,
        `ssm /${tag}/batch/key-id accessKeyId id`,
        `fn ${tag}-billing json id`,
        `td ${tag}-batch/app json id`,
        `k8s legacy-cron json id`,
      ].sort(),
    );
    await controlFor(client, taskQueue).decide(incidentId, { decision: 'retry', by: 'erin', step: 'add discovered places' });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.discovered?.added).toEqual({ by: 'erin', names: expect.arrayContaining([`discovered-sm-${tag}-legacy`, `discovered-bao-${tag}-etl`, `discovered-fn-${tag}-billing`, `discovered-td-${tag}-batch-app`, 'discovered-k8s-legacy-cron']) });
    const [newKey] = await keysOf(leak.user);
    const api = JSON.parse(await smValue(`${tag}/api`));
    expect(api.AWS_ACCESS_KEY_ID).toBe(newKey!.id);
    expect(JSON.parse(await smValue(`${tag}/legacy`))).toEqual({ ...api, REGION: 'eu-west-1' });
    expect((await ssm.send(new GetParameterCommand({ Name: `/${tag}/batch/key-id`, WithDecryption: true }))).Parameter?.Value).toBe(newKey!.id);
    expect((await bao('GET', `secret/data/${tag}/etl`)).data.data).toEqual({ ...api, SCHEDULE: 'hourly' });
    expect(await lambdaEnv(`${tag}-billing`)).toEqual({ ...api, LOG_LEVEL: 'info' });
    expect(await containerEnv(`${tag}-batch:2`)).toEqual({ ...api, QUEUE: 'batch' });
    expect(await secretData(ns, 'legacy-cron')).toEqual({ ...api, RETRIES: '3' });
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
    expect(s.timeline.some((t) => t.event.startsWith('discovery found 7 place(s) the inventory does not list'))).toBe(true);
    expect(JSON.parse(await smValue(`${tag}/legacy`)).AWS_ACCESS_KEY_ID).toBe(leak.keyId);
    expect(s.storeWrites.map((w) => w.consumer)).toEqual(['api']);
    expect(readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8')).toContain('Reported only (discovery.discovered: report)');
  } finally {
    await worker.stop();
  }
});
