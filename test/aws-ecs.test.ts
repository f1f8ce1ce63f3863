import { randomUUID } from 'node:crypto';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type KeyValuePair,
} from '@aws-sdk/client-ecs';
import type { Client } from '@temporalio/client';
import { catalog, parseInventory } from '../providers';
import { EcsServiceDeployer } from '../providers/aws-ecs/deployer';
import { EcsTaskDefinitionStore } from '../providers/aws-ecs/store';
import { discover, placeOf } from '../providers/discovery';
import type { ResolvedConsumer } from '../domain/schemas';
import { findLeaks, incidentSinks } from './support/canary';
import { awsConfig, leakedKey, testEnv, useTemporal } from './support/env';
import { FaultProxy } from './support/fault-proxy';
import { incidentContext, keysOf, leakWithCrash, thrown } from './support/fixtures';

// Amazon ECS on moto: a task definition's container environment as the store (a new revision copying the
// latest ACTIVE one, only the consumer's variables changed), moving a service to that revision as the
// deploy. Workers are killed right after the write and right after the redeploy; each incident still ends
// with one new revision and one service update.
//
// What moto cannot show: UpdateService changes the service's taskDefinition but leaves its deployments as
// they were (the PRIMARY one keeps the old revision, no new deployment, no events), and its rolloutState is
// fixed when the service is created. So a rollout to a new revision never becomes steady on moto: the
// incidents here use `until: accepted`, the steady rule is tested on a service created on the revision, and
// the wait for a rollout that does not finish is tested to end, bounded, with what it saw.

let client: Client;
useTemporal((c) => (client = c));
const ecs = new ECSClient(awsConfig());
// Every UpdateService call for a service passes this proxy in front of moto and is counted there (moto
// keeps no deployment history that would show a second update).
const proxy = new FaultProxy(testEnv().motoEndpoint);
beforeAll(() => proxy.start());
afterAll(async () => (ecs.destroy(), await proxy.stop()));

const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
const env = (vars: Record<string, string>): KeyValuePair[] => Object.entries(vars).map(([name, value]) => ({ name, value }));

/** A family whose revision 1 has an `app` container holding `vars` and a `sidecar`, tagged team=payments. */
async function familyWith(family: string, vars: Record<string, string>) {
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [
        { name: 'app', image: 'example/app:1.4', memory: 256, environment: env(vars) },
        { name: 'sidecar', image: 'example/proxy:2', memory: 64, environment: env({ MODE: 'edge' }) },
      ],
      tags: [{ key: 'team', value: 'payments' }],
    }),
  );
  return r.taskDefinition!;
}

async function serviceOn(taskDefinition: string, desiredCount = 1) {
  const cluster = unique('cluster');
  const service = unique('svc');
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(new CreateServiceCommand({ cluster, serviceName: service, taskDefinition, desiredCount }));
  return { cluster, service };
}

const described = async (td: string) => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: td, include: ['TAGS'] }));
const containerEnv = async (td: string, name = 'app') =>
  Object.fromEntries(((await described(td)).taskDefinition!.containerDefinitions!.find((c) => c.name === name)!.environment ?? []).map((e) => [e.name, e.value]));
const revisions = async (family: string) => (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }))).taskDefinitionArns!;
const serviceNow = async (cluster: string, service: string) => (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0]!;

/** Counts the UpdateService calls for `service` that pass the proxy (a `slow` fault of 0 ms only records them). */
function countUpdates(service: string): () => number {
  proxy.clear();
  proxy.injected.length = 0;
  proxy.inject({ match: new RegExp(`"service":"${service}"`), times: 1000, kind: 'slow', delayMs: 0 });
  return () => proxy.injected.length;
}

const consumerOf = (key: string, extra: Partial<ResolvedConsumer> = {}): ResolvedConsumer => ({ name: 'payments-api', store: 'td', key, field: 'token', storeSpec: { kind: 'aws-ecs-task-definition' }, ...extra });

test('a write registers one revision copying the latest ACTIVE one with only the consumer’s variable changed; a retry registers nothing', async () => {
  const family = unique('pay');
  await familyWith(family, { SLACK_TOKEN: 'old', LOG_LEVEL: 'info' });
  // A newer revision that was deregistered: not the one to copy (moto's DescribeTaskDefinition would still return it).
  const stray = await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image: 'example/app:broken', memory: 256, environment: env({ STRAY: '1' }) }] }));
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: stray.taskDefinition!.taskDefinitionArn }));
  const store = new EcsTaskDefinitionStore(awsConfig());
  const consumer = consumerOf(`${family}/app#SLACK_TOKEN`);
  const ctx = incidentContext('slack-token');

  expect(await store.write(consumer, 'new-token-value', ctx)).toEqual({ consumer: 'payments-api', store: 'td', key: consumer.key, version: `${family}:3`, changed: true });
  expect(await store.write(consumer, 'new-token-value', ctx)).toEqual({ consumer: 'payments-api', store: 'td', key: consumer.key, version: `${family}:3`, changed: false });
  expect(await revisions(family)).toHaveLength(2); // revision 1 and the incident's; the deregistered one is not listed

  const written = await described(`${family}:3`);
  const [app, sidecar] = written.taskDefinition!.containerDefinitions!;
  expect(app).toMatchObject({ name: 'app', image: 'example/app:1.4', memory: 256 });
  expect(await containerEnv(`${family}:3`)).toEqual({ SLACK_TOKEN: 'new-token-value', LOG_LEVEL: 'info' });
  expect(sidecar).toMatchObject({ name: 'sidecar', image: 'example/proxy:2', environment: [{ name: 'MODE', value: 'edge' }] });
  expect(written.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'payments' }, { key: 'leakstop:incident', value: ctx.incidentId }, { key: 'leakstop:consumer', value: 'payments-api' }]));
  expect(await containerEnv(`${family}:1`)).toEqual({ SLACK_TOKEN: 'old', LOG_LEVEL: 'info' }); // running tasks keep theirs
  expect(await store.read(consumer)).toBe('new-token-value');

  // Without a variable in the key, the value is a JSON object of variables, merged.
  const json = consumerOf(`${family}/sidecar`, { field: 'json' });
  expect(await store.write(json, JSON.stringify({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' }), ctx)).toMatchObject({ version: `${family}:4`, changed: true });
  expect(await containerEnv(`${family}:4`, 'sidecar')).toEqual({ MODE: 'edge', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' });
  expect(await containerEnv(`${family}:4`)).toEqual({ SLACK_TOKEN: 'new-token-value', LOG_LEVEL: 'info' });
});

test('bad keys, containers, families and values are refused for good, naming what is wrong', async () => {
  const family = unique('bad');
  await familyWith(family, { A: '1' });
  const store = new EcsTaskDefinitionStore(awsConfig());
  const ctx = incidentContext('slack-token');
  const refused = (key: string, value = 'v', field = 'token') => thrown(() => store.write(consumerOf(key, { field }), value, ctx));

  expect(await refused(`${family}#A`)).toMatchObject({ name: 'PermanentError', reason: 'invalid', message: expect.stringContaining('is not family/container or family/container#VARIABLE') });
  expect(await refused(`${family}/app#1BAD`)).toMatchObject({ reason: 'invalid', message: expect.stringContaining('"1BAD" is not an environment variable name') });
  expect(await refused(`${family}/web#A`)).toMatchObject({ reason: 'invalid', message: expect.stringContaining('no container "web" (containers: app, sidecar)') });
  expect(await refused(`${unique('none')}/app#A`)).toMatchObject({ reason: 'not-found', message: expect.stringContaining('has no ACTIVE revision') });
  expect(await refused(`${family}/app`, 'plain')).toMatchObject({ reason: 'invalid', message: expect.stringContaining('names no variable (family/container#VARIABLE)') });
  expect(await revisions(family)).toHaveLength(1);

  const inventory = (deployer: string) => `stores: { td: { kind: aws-ecs-task-definition } }\ndeployers: { web: ${deployer} }`;
  expect(parseInventory(inventory('{ kind: aws-ecs-service, cluster: prod, service: web }')).deployers.web).toEqual({ kind: 'aws-ecs-service', cluster: 'prod', service: 'web', until: 'steady', timeout: '15m', pollInterval: '5s' });
  expect(parseInventory(inventory('{ kind: aws-ecs-service, cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", service: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web" }')).deployers.web).toMatchObject({ kind: 'aws-ecs-service' });
  expect(() => parseInventory(inventory('{ kind: aws-ecs-service, cluster: "prod cluster", service: web }'))).toThrow(/deployers\.web\.cluster: must be an ECS cluster name or ARN/);
  expect(() => parseInventory(inventory('{ kind: aws-ecs-service, cluster: prod, service: web, pollInterval: 30s }'))).toThrow(/deployers\.web\.pollInterval: must be at most 5s/);
  expect(() => parseInventory(inventory('{ kind: aws-ecs-service, cluster: prod, service: web, until: done }'))).toThrow(/deployers\.web\.until/);
  expect(() => parseInventory('stores: { td: { kind: aws-ecs-task-definition, family: x } }')).toThrow(/stores\.td/);
});

test('the deployer moves the service to the incident’s revision once, and a retry updates nothing', async () => {
  const family = unique('dep');
  const first = await familyWith(family, { TOKEN: 'old' });
  const { cluster, service } = await serviceOn(first.taskDefinitionArn!);
  const ctx = incidentContext('slack-token');
  const spec = { kind: 'aws-ecs-service', cluster, service, until: 'accepted', timeout: '2s', pollInterval: '100ms' } as const;
  const consumer = consumerOf(`${family}/app#TOKEN`, { deployerSpec: spec });
  await new EcsTaskDefinitionStore(awsConfig()).write(consumer, 'new', ctx);
  const deployer = new EcsServiceDeployer({ ...awsConfig(), endpoint: proxy.url });
  const updates = countUpdates(service);

  const handle = await deployer.redeploy(consumer, ctx);
  expect(handle).toEqual({ consumer: 'payments-api', id: `${family}:2`, statusUrl: `ecs:${cluster}/${service}` });
  expect(await deployer.redeploy(consumer, ctx)).toEqual(handle); // the retry
  expect(updates()).toBe(1);
  const s = await serviceNow(cluster, service);
  expect(s.taskDefinition).toBe(`${first.taskDefinitionArn!.replace(/:1$/, ':2')}`);
  expect(s.deployments).toHaveLength(1);

  let beats = 0;
  expect(await deployer.waitFor(handle, spec, () => beats++)).toEqual({ consumer: 'payments-api', id: `${family}:2`, status: 'succeeded', detail: `service ${service} on ${family}:2 (rollout not followed: until accepted)` });
  expect(beats).toBe(1);

  // Followed to steady, moto's rollout never gets there (see the top of this file): the wait ends at its
  // timeout, heartbeating, and says what it last saw.
  beats = 0;
  const began = Date.now();
  const stuck = await thrown(() => deployer.waitFor(handle, { ...spec, until: 'steady', timeout: '1s' }, () => beats++));
  expect(stuck).toMatchObject({ name: 'PermanentError', reason: 'failed' });
  expect(stuck.message).toBe(`ECS service ${service}: not steady on ${family}:2 after 1s: PRIMARY deployment on ${family}:1, rollout IN_PROGRESS, 0/1 tasks running, 1 deployment(s)`);
  expect(Date.now() - began).toBeLessThan(5000);
  expect(beats).toBeGreaterThan(3);
  expect(updates()).toBe(1);
});

test('steady: the PRIMARY deployment on the revision, alone, all tasks running; a service moved elsewhere fails the wait', async () => {
  const family = unique('steady');
  await familyWith(family, { TOKEN: 'old' });
  const ctx = incidentContext('slack-token');
  const store = new EcsTaskDefinitionStore(awsConfig());
  const written = await store.write(consumerOf(`${family}/app#TOKEN`), 'new', ctx);
  // A service created on the incident's revision with nothing to run is what moto reports as a finished
  // rollout (COMPLETED, 0/0): the deployer finds it already there and waits for steady.
  const { cluster, service } = await serviceOn(written.version, 0);
  const spec = { kind: 'aws-ecs-service', cluster, service, until: 'steady', timeout: '5s', pollInterval: '100ms' } as const;
  const consumer = consumerOf(`${family}/app#TOKEN`, { deployerSpec: spec });
  const deployer = new EcsServiceDeployer({ ...awsConfig(), endpoint: proxy.url });
  const updates = countUpdates(service);
  const handle = await deployer.redeploy(consumer, ctx);
  expect(updates()).toBe(0);
  expect(await deployer.waitFor(handle, spec, () => undefined)).toMatchObject({
    status: 'succeeded',
    detail: `service ${service} steady on ${family}:2 (PRIMARY deployment on ${family}:2, rollout COMPLETED, 0/0 tasks running, 1 deployment(s))`,
  });

  // Someone deploys another revision meanwhile: the wait fails for good instead of reporting success.
  const later = await store.write(consumerOf(`${family}/app#TOKEN`, { name: 'other' }), 'newer', incidentContext('slack-token'));
  await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: later.version }));
  expect(await thrown(() => deployer.waitFor(handle, spec, () => undefined))).toMatchObject({
    reason: 'failed',
    message: `ECS service ${service}: the service now runs ${later.version}, not ${family}:2 (rolled back, or deployed again since)`,
  });
});

test('the deployer refuses what it cannot deploy, naming why', async () => {
  const family = unique('refuse');
  await familyWith(family, { TOKEN: 'old' });
  const other = await familyWith(unique('other'), { TOKEN: 'x' });
  const { cluster, service } = await serviceOn(other.taskDefinitionArn!);
  const spec = { kind: 'aws-ecs-service', cluster, service, until: 'accepted', timeout: '2s', pollInterval: '100ms' } as const;
  const ctx = incidentContext('slack-token');
  const deployer = new EcsServiceDeployer(awsConfig());
  const consumer = consumerOf(`${family}/app#TOKEN`, { deployerSpec: spec });

  expect(await thrown(() => deployer.redeploy(consumer, ctx))).toMatchObject({ reason: 'not-found', message: expect.stringContaining(`no ACTIVE revision of task-definition family "${family}" was registered by ${ctx.incidentId}`) });
  await new EcsTaskDefinitionStore(awsConfig()).write(consumer, 'new', ctx);
  expect(await thrown(() => deployer.redeploy(consumer, ctx))).toMatchObject({ reason: 'invalid', message: `ECS service ${service} runs ${other.family}:1, not a revision of family "${family}" that consumer payments-api writes` });
  expect(await thrown(() => deployer.redeploy({ ...consumer, storeSpec: { kind: 'aws-secrets-manager' } }, ctx))).toMatchObject({ reason: 'invalid', message: expect.stringContaining("this consumer's store is aws-secrets-manager") });
  expect(await thrown(() => deployer.redeploy({ ...consumer, deployerSpec: { ...spec, region: 'eu-west-1' } }, ctx))).toMatchObject({ reason: 'invalid', message: expect.stringContaining('the task definition is in us-east-1, the service in eu-west-1') });
  const missing = { ...spec, service: unique('gone') };
  expect(await thrown(() => deployer.redeploy({ ...consumer, deployerSpec: missing }, ctx))).toMatchObject({ reason: 'not-found', message: expect.stringContaining(`ECS service ${missing.service} in cluster ${cluster}`) });
  expect((await serviceNow(cluster, service)).taskDefinition).toBe(other.taskDefinitionArn); // never moved
});

test('discovery searches the latest ACTIVE revision of each family: a key found beside its secret makes the container the consumer', async () => {
  const leak = await leakedKey('ecs-disc');
  const prefix = unique('disc');
  await familyWith(`${prefix}-billing`, { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' });
  // A family whose only revision is deregistered is not running anywhere: not reported.
  const gone = await familyWith(`${prefix}-retired`, { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret });
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: gone.taskDefinitionArn }));
  const inventory = parseInventory(`stores: { td: { kind: aws-ecs-task-definition } }\ndiscovery: { sources: { td: { prefixes: [${prefix}] } } }`);
  const registry = catalog.registry({ vault: {} as never, env: {}, settings: { aws: awsConfig() }, inventory });
  const d = await discover({ inventory, registry, catalog });
  expect(d.problems).toEqual([]);
  expect(d.entries).toBe(4); // billing's app (3 variables) and sidecar (1)
  expect(d.found.filter((f) => f.credentialId === leak.keyId).map(placeOf)).toEqual([{ store: 'td', key: `${prefix}-billing/app`, provider: 'aws-iam', credentialId: leak.keyId, matchedBy: 'id', field: 'json' }]);
});

/** An incident for a key kept in a task definition's container, deployed to a service, with a worker killed after `crashAfter`. */
async function incidentThroughCrash(crashAfter: 'updateEnvironment' | 'redeploy') {
  const leak = await leakedKey(`ecs-${crashAfter.slice(0, 6).toLowerCase()}`);
  const family = `billing-${leak.user}`;
  const first = await familyWith(family, { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' });
  const { cluster, service } = await serviceOn(first.taskDefinitionArn!);
  const inventory = `
stores:
  td: { kind: aws-ecs-task-definition }
deployers:
  billing-svc: { kind: aws-ecs-service, cluster: ${cluster}, service: ${service}, until: accepted, pollInterval: 200ms }
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers: [{ name: billing, store: td, key: ${family}/app, field: json, deploy: billing-svc }]
`;
  // The crashed worker and the one that takes over both reach moto through the counting proxy.
  const updates = countUpdates(service);
  const real = process.env.LEAKSTOP_TEST_ENV!;
  process.env.LEAKSTOP_TEST_ENV = JSON.stringify({ ...testEnv(), motoEndpoint: proxy.url });
  try {
    const run = await leakWithCrash(client, { name: `ecs-${crashAfter}`, inventory, keyId: leak.keyId, crashAfter });
    return { ...run, leak, family, cluster, service, updates: updates() };
  } finally {
    process.env.LEAKSTOP_TEST_ENV = real;
  }
}

test.each(['updateEnvironment', 'redeploy'] as const)('an incident writes one revision and updates the service once, even when a worker dies after %s; no secret leaks', async (crashAfter) => {
  const { incidentId, state: s, dataDir, leak, family, cluster, service, updates } = await incidentThroughCrash(crashAfter);
  expect(s.status).toBe('completed');
  const [newKey] = await keysOf(leak.user);
  expect(newKey?.id).toBe(s.newCredential?.id);

  const arns = await revisions(family);
  expect(arns).toHaveLength(2); // the leaked key's revision, and exactly one of the incident's
  const vars = await containerEnv(`${family}:2`);
  expect(vars).toMatchObject({ AWS_ACCESS_KEY_ID: newKey!.id, LOG_LEVEL: 'info' });
  expect(vars.AWS_SECRET_ACCESS_KEY).not.toBe(leak.secret);
  expect((await described(`${family}:2`)).tags).toEqual(expect.arrayContaining([{ key: 'leakstop:incident', value: incidentId }, { key: 'leakstop:consumer', value: 'billing' }]));
  expect((await serviceNow(cluster, service)).taskDefinition).toBe(arns.find((a) => a.endsWith(':2')));
  expect(updates).toBe(1);
  expect(s.storeWrites).toEqual([expect.objectContaining({ consumer: 'billing', store: 'td', version: `${family}:2` })]);
  expect(s.deploys).toEqual([{ consumer: 'billing', id: `${family}:2`, status: 'succeeded', detail: `service ${service} on ${family}:2 (rollout not followed: until accepted)` }]);

  // The leak canary over this incident's sinks: its history (raw and decoded), the Temporal database, the
  // worker's data folder (vault, post-mortem) and the result.
  const { history, sinks } = await incidentSinks(client, incidentId, s, dataDir);
  expect(history.decoded).toContain(`${family}:2`);
  expect(Object.keys(sinks).some((k) => k.includes('reports'))).toBe(true);
  const secrets = { 'leaked secret': leak.secret, 'new secret': vars.AWS_SECRET_ACCESS_KEY!, 'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]! };
  expect(Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets))).toEqual([]);
});
