import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, controlFor, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { keysOf, leakInput, report, waitForState } from './support/fixtures';
import { apps, deployment, namespace, providersYaml, replicaSets, revisionOf, secret, secretData } from './kubernetes/cluster';
import { functionWith, serviceRunning } from './support/aws-runtimes';

// Discovery during an incident: a leaked AWS key the inventory lists in one Secrets Manager secret also
// sits, unlisted, in another secret (beside other settings), in an SSM parameter, in an OpenBao secret, in
// a Lambda function's environment, in an ECS task definition's container environment, in a Kubernetes
// Secret (all on the real servers: moto, OpenBao, kube-apiserver) and inside a note. The search runs while
// the key is contained, and finds what runs from those places: the function's alias, the ECS service on
// the family, the Deployment that mounts the Secret. A person is asked once; once they say yes the new key
// is written to every writable place (the other settings kept) and each of those is redeployed, the note
// is left to a person, and the post-mortem lists each place, what was redeployed, and the inventory entries
// to paste. With `report`, nothing is written or redeployed.
//
// moto never finishes an ECS rollout (test/aws-ecs.test.ts), and the cluster has no kubelet: the stores
// say `redeploy: { until: accepted }` and `{ until: new-replicaset }`, and the tests assert that the
// service was moved to the new revision and that the Deployment has a new ReplicaSet revision.

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
  // An ECS service runs the family's revision 1.
  const cluster = `${tag}-cluster`;
  await serviceRunning({ family: `${tag}-batch`, cluster, service: 'batch', environment: { ...pair, QUEUE: 'batch' } });
  const ns = await namespace(`disc-${mode}`);
  await secret(ns, 'legacy-cron', { ...pair, RETRIES: '3' });
  // Deployment `cron` mounts the Secret; `web` reads another Secret and is left as it is.
  await deployment(ns, 'cron', { pod: { containers: [{ name: 'cron', image: 'example.invalid/cron:1', volumeMounts: [{ name: 'aws', mountPath: '/etc/aws' }] }], volumes: [{ name: 'aws', secret: { secretName: 'legacy-cron' } }] } });
  await deployment(ns, 'web');
  const inventory = `${providersYaml()}
stores:
  sm: { kind: aws-secrets-manager }
  ssm: { kind: aws-ssm }
  bao: { kind: openbao-kv, address: "${testEnv().openbao.address}" }
  fn: { kind: aws-lambda-env }
  td: { kind: aws-ecs-task-definition, redeploy: { until: accepted, pollInterval: 200ms } }
  k8s: { kind: kubernetes-secret, cluster: test, namespace: ${ns}, redeploy: { until: new-replicaset, pollInterval: 200ms } }
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
  return { leak, tag, ns, cluster, taskQueue, worker };
}

const smValue = async (id: string) => (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;
const lambdaEnv = async (fn: string) => (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).Environment?.Variables;
const containerEnv = async (td: string, name = 'app') =>
  Object.fromEntries(((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: td }))).taskDefinition!.containerDefinitions!.find((c) => c.name === name)!.environment ?? []).map((e) => [e.name, e.value]));

test('ask: found while containing with what runs from them, added after one yes, written beside the other settings and redeployed', async () => {
  const { leak, tag, ns, cluster, taskQueue, worker } = await seeded('ask');
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
    expect(asked.discovered?.problems).toEqual([]);
    await controlFor(client, taskQueue).decide(incidentId, { decision: 'retry', by: 'erin', step: 'add discovered places' });
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    // One consumer per place and what runs from it: the alias, the service, the Deployment that mounts the Secret.
    const fn = `${tag}-billing`;
    const runners = { fn: `discovered-fn-${fn}/${fn}.live`, td: `discovered-td-${tag}-batch-app/${cluster}.batch`, k8s: 'discovered-k8s-legacy-cron/cron' };
    expect(s.discovered?.added?.by).toBe('erin');
    expect([...s.discovered!.added!.names].sort()).toEqual([`discovered-sm-${tag}-legacy`, `discovered-ssm-${tag}-batch-key-id`, `discovered-bao-${tag}-etl`, runners.fn, runners.td, runners.k8s].sort());
    const [newKey] = await keysOf(leak.user);
    const api = JSON.parse(await smValue(`${tag}/api`));
    expect(api.AWS_ACCESS_KEY_ID).toBe(newKey!.id);
    expect(JSON.parse(await smValue(`${tag}/legacy`))).toEqual({ ...api, REGION: 'eu-west-1' });
    expect((await ssm.send(new GetParameterCommand({ Name: `/${tag}/batch/key-id`, WithDecryption: true }))).Parameter?.Value).toBe(newKey!.id);
    expect((await bao('GET', `secret/data/${tag}/etl`)).data.data).toEqual({ ...api, SCHEDULE: 'hourly' });
    expect(await lambdaEnv(fn)).toEqual({ ...api, LOG_LEVEL: 'info' });
    expect(await containerEnv(`${tag}-batch:2`)).toEqual({ ...api, QUEUE: 'batch' });
    expect(await secretData(ns, 'legacy-cron')).toEqual({ ...api, RETRIES: '3' });
    expect(await smValue(`${tag}/readme`)).toBe(`the batch job uses ${leak.keyId}`);

    // Each was redeployed after its write, once: the hook of the inventory's consumer and the three runners.
    expect(s.deploys.map((d) => `${d.consumer} ${d.status}`).sort()).toEqual(['api', runners.fn, runners.td, runners.k8s].map((c) => `${c} succeeded`).sort());
    // Lambda: one version published from the new environment, and alias live moved to it.
    const published = (await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: fn }))).Versions!.filter((v) => v.Description === `leakstop ${incidentId} ${runners.fn}`);
    expect(published).toHaveLength(1);
    expect((await lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' }))).FunctionVersion).toBe(published[0]!.Version);
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn, Qualifier: 'live' }))).Environment?.Variables).toEqual({ ...api, LOG_LEVEL: 'info' });
    // ECS: the service now runs the revision the write registered (moto does not roll it further).
    const service = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['batch'] }))).services![0]!;
    expect(service.taskDefinition!.slice(service.taskDefinition!.lastIndexOf('/') + 1)).toBe(`${tag}-batch:2`);
    expect(s.deploys.find((d) => d.consumer === runners.td)?.id).toBe(`${tag}-batch:2`);
    // Kubernetes: `cron` restarted once for the incident (a new ReplicaSet revision); `web`, which reads another Secret, not at all.
    expect((await replicaSets(ns, 'cron')).map(revisionOf)).toEqual([1, 2]);
    expect((await apps().readNamespacedDeployment({ namespace: ns, name: 'cron' })).spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']).toBe(s.startedAt);
    expect((await replicaSets(ns, 'web')).map(revisionOf)).toEqual([1]);

    const pm = readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8');
    expect(pm).toContain('## Found during the incident');
    expect(pm).toContain(`Added to this incident's consumers by erin`);
    expect(pm).toContain(`  - \`${runners.td}\`: written, redeployed by \`discovered-td-${cluster}.batch\` (aws-ecs-service): deploy \`${tag}-batch:2\` succeeded`);
    expect(pm).toContain(`  - \`${runners.k8s}\`: written, redeployed by \`discovered-k8s-cron\` (kubernetes-rollout): deploy \`${ns}/cron@2\` succeeded`);
    expect(pm).toContain(`  - \`${runners.fn}\`: written, redeployed by \`discovered-fn-${fn}.live\` (aws-lambda-publish): deploy \`${fn}:${published[0]!.Version}\` succeeded`);
    expect(pm).toContain(`  - \`discovered-ssm-${tag}-batch-key-id\`: written; nothing Leakstop can restart was found running from it`);
    // The inventory entries to paste: the deployers, and each consumer naming its own.
    expect(pm).toContain('deployers:');
    expect(pm).toContain(`  discovered-td-${cluster}.batch: { kind: aws-ecs-service, cluster: "${cluster}", service: "batch", until: "accepted", timeout: "15m", pollInterval: "200ms" }`);
    expect(pm).toContain(`  discovered-k8s-cron: { kind: kubernetes-rollout, cluster: "test", namespace: "${ns}", deployment: "cron", until: "new-replicaset", timeout: "10m", pollInterval: "200ms" }`);
    expect(pm).toContain(`  discovered-fn-${fn}.live: { kind: aws-lambda-publish, function: "${fn}", alias: "live" }`);
    expect(pm).toContain(`  - { name: td-${tag}-batch-app, store: td, key: "${tag}-batch/app", field: json, merge: true, deploy: discovered-td-${cluster}.batch }`);
    expect(pm).toContain(`  - { name: k8s-legacy-cron, store: k8s, key: "legacy-cron", field: json, merge: true, deploy: discovered-k8s-cron }`);
    expect(pm).toContain(`  - { name: ssm-${tag}-batch-key-id, store: ssm, key: "/${tag}/batch/key-id", field: accessKeyId }`);
    expect(pm).not.toContain(leak.secret);
  } finally {
    await worker.stop();
  }
});

test('report: the places are listed on the timeline and in the post-mortem, and nothing is written or redeployed there', async () => {
  const { leak, tag, ns, cluster, taskQueue, worker } = await seeded('report');
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.discovered).toMatchObject({ mode: 'report', problems: [] });
    expect(s.discovered?.added).toBeUndefined();
    expect(s.timeline.some((t) => t.event.startsWith('discovery found 7 place(s) the inventory does not list'))).toBe(true);
    expect(JSON.parse(await smValue(`${tag}/legacy`)).AWS_ACCESS_KEY_ID).toBe(leak.keyId);
    expect(s.storeWrites.map((w) => w.consumer)).toEqual(['api']);
    expect(s.deploys.map((d) => d.consumer)).toEqual(['api']);
    expect((await ecs.send(new DescribeServicesCommand({ cluster, services: ['batch'] }))).services![0]!.taskDefinition).toMatch(new RegExp(`${tag}-batch:1$`));
    expect((await replicaSets(ns, 'cron')).map(revisionOf)).toEqual([1]);
    expect(readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8')).toContain('Reported only (discovery.discovered: report)');
  } finally {
    await worker.stop();
  }
});
