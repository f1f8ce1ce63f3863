import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateFunctionCommand, LambdaClient, PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { secretId } from '../domain/fingerprint';
import type { ResolvedConsumer } from '../domain/schemas';
import { catalog, parseInventory } from '../providers';
import { EcsServiceDeployer } from '../providers/aws-ecs/deployer';
import { EcsTaskDefinitionStore } from '../providers/aws-ecs/store';
import { unlistedPlaces } from '../providers/discovery';
import { cli } from '../triggers/cli';
import { randomBase62 } from './github/tokens';
import { daemonSet, deployment, limitedToken, namespace, providersYaml, secret, statefulSet, TOKEN_ENV } from './kubernetes/cluster';
import { FaultProxy } from './support/fault-proxy';
import { awsConfig, iam, leakedKey, scratchDir, testEnv } from './support/env';
import { incidentContext } from './support/fixtures';
import { writeFileSync } from 'node:fs';

// `leakstop inventory discover` against real stores (moto's Secrets Manager and SSM, OpenBao's dev
// server): credentials found where they sit, grouped by credential (AWS keys by their IAM user, tokens
// by fingerprint), written back as an inventory that loads; no value leaves the process. Then, as an
// incident sees them (unlistedPlaces), what runs from the places found, on moto and the kube-apiserver:
// which functions' aliases, ECS services and Deployments become consumers with a deployer, which are left
// to a person and why, and a listing that fails, reported.

const tag = `disc-${Date.now().toString(36)}`;
const saved = { ...process.env };
let file = '';
let output: string[] = [];
let code = -1;
const seeded = {} as { a: Awaited<ReturnType<typeof leakedKey>>; b: Awaited<ReturnType<typeof leakedKey>>; slack: string };

beforeAll(async () => {
  const [a, b] = await Promise.all([leakedKey('disc-a'), leakedKey('disc-b')]);
  const slack = `xoxb-${Date.now()}-${Date.now() + 1}-${randomBase62(24)}`;
  Object.assign(seeded, { a, b, slack });
  const sm = new SecretsManagerClient(awsConfig());
  const ssm = new SSMClient(awsConfig());
  const put = (Name: string, SecretString: string) => sm.send(new CreateSecretCommand({ Name, SecretString }));
  await put(`${tag}/api`, JSON.stringify({ AWS_ACCESS_KEY_ID: a.keyId, AWS_SECRET_ACCESS_KEY: a.secret, LOG_LEVEL: 'info' }));
  await put(`${tag}/notes`, `rotate ${a.keyId} before Friday`);
  await put(`${tag}/noise`, JSON.stringify({ hello: 'world' }));
  await put(`elsewhere-${tag}/api`, JSON.stringify({ AWS_ACCESS_KEY_ID: b.keyId })); // outside the configured prefix
  await ssm.send(new PutParameterCommand({ Name: `/${tag}/worker/key-id`, Value: a.keyId, Type: 'String' }));
  await ssm.send(new PutParameterCommand({ Name: `/${tag}/chatops/slack`, Value: slack, Type: 'SecureString' }));
  const { address, token } = testEnv().openbao;
  await fetch(`${address}/v1/secret/data/${tag}/billing`, { method: 'POST', headers: { 'x-vault-token': token }, body: JSON.stringify({ data: { AWS_ACCESS_KEY_ID: b.keyId, AWS_SECRET_ACCESS_KEY: b.secret } }) });
  sm.destroy();
  ssm.destroy();

  const dir = mkdtempSync(path.join(testEnv().dir, 'discover-'));
  const inventory = path.join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `stores:
  sm: { kind: aws-secrets-manager }
  ssm: { kind: aws-ssm }
  bao: { kind: openbao-kv, address: "${address}" }
discovery:
  sources:
    sm: { prefixes: ["${tag}/"] }
    ssm: { prefixes: ["/${tag}"] }
    bao: { prefixes: ["${tag}"] }
credentials:
  - provider: aws-iam
    owner: ${a.user}
    consumers: [{ name: api, store: sm, key: "${tag}/api" }]
`,
  );
  file = path.join(dir, 'draft.yaml');
  const env = testEnv();
  Object.assign(process.env, { LEAKSTOP_CONFIG: inventory, LEAKSTOP_AWS_ENDPOINT: env.motoEndpoint, AWS_ACCESS_KEY_ID: env.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: env.admin.secretAccessKey, LEAKSTOP_DATA_DIR: dir });
  output = [];
  code = await cli(['inventory', 'discover', '--out', file], (s) => output.push(s));
});

afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

test('every place is found and grouped by credential; the draft loads as an inventory', () => {
  expect(code).toBe(0);
  const draft = parseInventory(readFileSync(file, 'utf8'), 'draft');
  const { a, b, slack } = seeded;
  const entry = (match: (c: (typeof draft.credentials)[number]) => boolean) => draft.credentials.find(match);
  // The entry that was there keeps its consumer and gains the other place A's key sits.
  expect(entry((c) => c.owner === a.user)?.consumers).toEqual([
    { name: 'api', store: 'sm', key: `${tag}/api`, field: 'json' },
    { name: `ssm-${tag}-worker-key-id`, store: 'ssm', key: `/${tag}/worker/key-id`, field: 'accessKeyId' },
  ]);
  // B's key, named by its IAM user, in one OpenBao secret (merged as JSON); not the copy outside the prefix.
  expect(entry((c) => c.owner === b.user)?.consumers).toEqual([{ name: `bao-${tag}-billing`, store: 'bao', key: `${tag}/billing`, field: 'json' }]);
  // A token has no owner to look up: it is named by its fingerprint.
  expect(entry((c) => c.provider === 'slack-token')).toEqual({ provider: 'slack-token', credentialId: secretId(slack), consumers: [{ name: `ssm-${tag}-chatops-slack`, store: 'ssm', key: `/${tag}/chatops/slack`, field: 'token' }] });
  expect(draft.credentials).toHaveLength(3);
});

test('a credential inside other text is listed for a person, not added; no value is written anywhere', () => {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(`#   aws-iam ${seeded.a.keyId} in sm ${tag}/notes (inside other text`);
  for (const secret of [seeded.a.secret, seeded.b.secret, seeded.slack]) {
    expect(text).not.toContain(secret);
    expect(output.join('\n')).not.toContain(secret);
  }
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(output.at(-1)).toMatch(/^leakstop: 5 place\(s\) of 3 credential\(s\) in 3 store\(s\); \d+ entries compared in \d+ ms; draft in /);
});

describe('what runs from a place found during an incident', () => {
  const ecs = new ECSClient(awsConfig());
  const lambda = new LambdaClient(awsConfig());
  afterAll(() => (ecs.destroy(), lambda.destroy()));
  const registryFor = (inventory: ReturnType<typeof parseInventory>, env: NodeJS.ProcessEnv = {}) => catalog.registry({ vault: {} as never, env, settings: { aws: awsConfig() }, inventory });
  const places = (inventory: ReturnType<typeof parseInventory>, keyId: string, env: NodeJS.ProcessEnv = {}) =>
    unlistedPlaces({ inventory, registry: registryFor(inventory, env), catalog, provider: 'aws-iam', credentialId: keyId, known: [] });
  /** What a test compares: each consumer's name, where it writes, and how it is redeployed. */
  const shown = (cs: ResolvedConsumer[]) => cs.map((c) => ({ name: c.name, key: c.key, deploy: c.deploy, deployerSpec: c.deployerSpec })).sort((a, b) => a.name.localeCompare(b.name));

  test('Kubernetes: the Deployments, StatefulSets and DaemonSets whose pods read the Secret (volume, projected volume, envFrom, an init container’s secretKeyRef); not one reading another Secret; paused or OnDelete ones left to a person', async () => {
    const leak = await leakedKey('runners-kube');
    const ns = await namespace('runners');
    await secret(ns, 'app-aws', { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret });
    await secret(ns, 'other', { TOKEN: 'unrelated' });
    const image = 'example.invalid/app:1';
    await deployment(ns, 'vol', { pod: { containers: [{ name: 'app', image }], volumes: [{ name: 'aws', secret: { secretName: 'app-aws' } }] } });
    await deployment(ns, 'proj', { pod: { containers: [{ name: 'app', image }], volumes: [{ name: 'all', projected: { sources: [{ configMap: { name: 'settings' } }, { secret: { name: 'app-aws' } }] } }] } });
    await deployment(ns, 'envfrom', { pod: { containers: [{ name: 'sidecar', image }, { name: 'app', image, envFrom: [{ secretRef: { name: 'app-aws' } }] }] } });
    await deployment(ns, 'init', { pod: { initContainers: [{ name: 'fetch', image, env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'app-aws', key: 'AWS_ACCESS_KEY_ID' } } }] }], containers: [{ name: 'app', image }] } });
    await deployment(ns, 'reads-other', { pod: { containers: [{ name: 'app', image, envFrom: [{ secretRef: { name: 'other' } }], env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'other', key: 'TOKEN' } } }] }], volumes: [{ name: 'o', secret: { secretName: 'other' } }] } });
    await deployment(ns, 'paused', { paused: true, pod: { containers: [{ name: 'app', image }], volumes: [{ name: 'aws', secret: { secretName: 'app-aws' } }] } });
    await statefulSet(ns, 'db', { replicas: 0, pod: { containers: [{ name: 'db', image, envFrom: [{ secretRef: { name: 'app-aws' } }] }] } });
    await statefulSet(ns, 'db-other', { replicas: 0, pod: { containers: [{ name: 'db', image, envFrom: [{ secretRef: { name: 'other' } }] }] } });
    await daemonSet(ns, 'agent', { pod: { containers: [{ name: 'agent', image }], volumes: [{ name: 'aws', secret: { secretName: 'app-aws' } }] } });
    await daemonSet(ns, 'manual', { onDelete: true, pod: { containers: [{ name: 'agent', image }], volumes: [{ name: 'aws', secret: { secretName: 'app-aws' } }] } });
    const yaml = (mode: string, cluster = 'test') => `${providersYaml()}      limited: { server: "${testEnv().kube.server}", caFile: "${testEnv().kube.caFile}", tokenEnv: LIMITED_TOKEN }
stores:
  k8s: { kind: kubernetes-secret, cluster: ${cluster}, namespace: ${ns}, redeploy: { until: new-replicaset } }
discovery: { sources: { k8s: {} }, discovered: ${mode} }
`;
    const env = { [TOKEN_ENV]: testEnv().kube.token, LIMITED_TOKEN: 'unused' };
    const found = (await places(parseInventory(yaml('update')), leak.keyId, env))!;
    const rollout = (field: string, name: string, until = 'new-replicaset') => ({ kind: 'kubernetes-rollout', cluster: 'test', namespace: ns, [field]: name, until, timeout: '10m', pollInterval: '2s' });
    const consumer = (runner: string, spec: object) => ({ name: `discovered-k8s-app-aws/${runner}`, key: 'app-aws', deploy: `discovered-k8s-${runner}`, deployerSpec: spec });
    expect(found.places).toEqual([{ store: 'k8s', key: 'app-aws', matchedBy: 'id', field: 'json' }]);
    expect(shown(found.consumers)).toEqual([
      consumer('daemonset.agent', rollout('daemonset', 'agent', 'new-revision')),
      ...['envfrom', 'init', 'proj'].map((d) => consumer(d, rollout('deployment', d))),
      consumer('statefulset.db', rollout('statefulset', 'db', 'new-revision')),
      consumer('vol', rollout('deployment', 'vol')),
    ]);
    expect(found.consumers.every((c) => c.field === 'json' && c.merge === true && c.storeSpec.kind === 'kubernetes-secret')).toBe(true);
    expect(found.problems).toEqual([
      `k8s app-aws: Kubernetes Deployment ${ns}/paused reads Secret app-aws but is paused: not restarted; resume it (kubectl rollout resume) or restart it by hand`,
      `k8s app-aws: Kubernetes DaemonSet ${ns}/manual reads Secret app-aws but updates its pods only when they are deleted (OnDelete): not restarted; delete its pods by hand`,
    ]);

    // An identity that may read Secrets but not list Deployments: the place is still written, the refusal is reported.
    const limited = await limitedToken(ns, 'secrets-only', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'patch'] }]);
    const refused = (await places(parseInventory(yaml('update', 'limited')), leak.keyId, { ...env, LIMITED_TOKEN: limited }))!;
    expect(shown(refused.consumers)).toEqual([{ name: 'discovered-k8s-app-aws', key: 'app-aws', deploy: undefined, deployerSpec: undefined }]);
    expect(refused.problems).toEqual([expect.stringMatching(/^k8s app-aws: what runs from it could not be listed \(Kubernetes limited namespace .*: listing Deployments: 403 Forbidden: .*\); it is written but nothing is restarted$/)]);

    // Reported only: nothing is written, so what runs from it is not looked for.
    const reported = (await places(parseInventory(yaml('report')), leak.keyId, env))!;
    expect(shown(reported.consumers)).toEqual([{ name: 'discovered-k8s-app-aws', key: 'app-aws', deploy: undefined, deployerSpec: undefined }]);
    expect(reported.problems).toEqual([]);
  });

  test('Lambda: each alias on $LATEST’s code is moved, one on other code is left to a person; a function without aliases gets a published version', async () => {
    const leak = await leakedKey('runners-fn');
    const vars = { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret };
    const role = (await iam().send(new CreateRoleCommand({ RoleName: `${leak.user}-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!;
    const zip = (body: string) => {
      const dir = scratchDir('lambda');
      execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile('${dir}/fn.zip','w');z.writestr('index.js','${body}');z.close()`]);
      return readFileSync(`${dir}/fn.zip`);
    };
    const create = (name: string) => lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: role.Arn!, Handler: 'index.handler', Code: { ZipFile: zip('exports.handler=async()=>1') }, Environment: { Variables: vars } }));
    const [fn, bare] = [`${leak.user}-api`, `${leak.user}-cron`];
    await create(fn);
    await create(bare);
    // `stable` stays on version 1's code; new code is then deployed to $LATEST and `live` follows it; `edge` reads $LATEST itself.
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: fn }));
    await lambda.send(new CreateAliasCommand({ FunctionName: fn, Name: 'stable', FunctionVersion: v1.Version! }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn, ZipFile: zip('exports.handler=async()=>2') }));
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: fn }));
    expect(v2.CodeSha256).not.toBe(v1.CodeSha256);
    await lambda.send(new CreateAliasCommand({ FunctionName: fn, Name: 'live', FunctionVersion: v2.Version! }));
    await lambda.send(new CreateAliasCommand({ FunctionName: fn, Name: 'edge', FunctionVersion: '$LATEST' }));
    const inventory = parseInventory(`stores: { fn: { kind: aws-lambda-env } }\ndiscovery: { sources: { fn: { prefixes: ["${leak.user}-"] } }, discovered: update }`);
    const found = (await places(inventory, leak.keyId))!;
    expect(shown(found.consumers)).toEqual([
      { name: `discovered-fn-${fn}/${fn}.live`, key: fn, deploy: `discovered-fn-${fn}.live`, deployerSpec: { kind: 'aws-lambda-publish', function: fn, alias: 'live' } },
      { name: `discovered-fn-${bare}/${bare}`, key: bare, deploy: `discovered-fn-${bare}`, deployerSpec: { kind: 'aws-lambda-publish', function: bare } },
    ]);
    expect(found.problems).toEqual([`fn ${fn}: Lambda ${fn} alias stable runs version ${v1.Version}, whose code differs from $LATEST: not moved (that would ship $LATEST's code too); publish and move it by hand`]);
  });

  test('ECS: the services of every cluster on the family’s latest revision, each its own consumer; two of them write one revision, and each is moved to it', async () => {
    const leak = await leakedKey('runners-ecs');
    const family = `${leak.user}-worker`;
    const container = (environment: { name: string; value: string }[]) => [{ name: 'app', image: 'example/worker:2', memory: 128, environment }];
    await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: container([{ name: 'MODE', value: 'old' }]) }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: container([{ name: 'AWS_ACCESS_KEY_ID', value: leak.keyId }, { name: 'AWS_SECRET_ACCESS_KEY', value: leak.secret }]) }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: `${family}-other`, containerDefinitions: container([]) }));
    const [blue, green] = [`${leak.user}-blue`, `${leak.user}-green`];
    const service = async (cluster: string, name: string, taskDefinition: string) => ecs.send(new CreateServiceCommand({ cluster, serviceName: name, taskDefinition, desiredCount: 1 }));
    await ecs.send(new CreateClusterCommand({ clusterName: blue }));
    await ecs.send(new CreateClusterCommand({ clusterName: green }));
    await service(blue, 'worker', `${family}:2`);
    await service(green, 'worker', `${family}:2`);
    await service(green, 'worker-canary', `${family}:1`); // another revision: moving it would change its containers
    await service(blue, 'other', `${family}-other:1`); // another family: not a reader of this one
    const inventory = parseInventory(`stores: { td: { kind: aws-ecs-task-definition, redeploy: { until: accepted } } }\ndiscovery: { sources: { td: { prefixes: ["${family}"] } }, discovered: update }`);
    const found = (await places(inventory, leak.keyId))!;
    const moved = (cluster: string) => ({ kind: 'aws-ecs-service', cluster, service: 'worker', until: 'accepted', timeout: '15m', pollInterval: '5s' });
    expect(shown(found.consumers)).toEqual([blue, green].map((cluster) => ({ name: `discovered-td-${family}-app/${cluster}.worker`, key: `${family}/app`, deploy: `discovered-td-${cluster}.worker`, deployerSpec: moved(cluster) })));
    expect(found.problems).toEqual([`td ${family}/app: ECS service ${green}/worker-canary runs ${family}:1, not ${family}:2 (the revision the new value is written to a copy of): not moved, since that would change its containers too; deploy it by hand`]);

    // Both consumers write at once (their registrations held until both have read revision 2): one new revision is left, and both report it.
    const proxy = await new FaultProxy(testEnv().motoEndpoint).start();
    try {
      proxy.inject({ match: /"containerDefinitions"/, times: 2, kind: 'slow', delayMs: 500 }); // RegisterTaskDefinition only
      const store = new EcsTaskDefinitionStore({ ...awsConfig(), endpoint: proxy.url });
      const ctx = incidentContext('runners');
      const value = JSON.stringify({ AWS_ACCESS_KEY_ID: 'AKIANEWKEYEXAMPLE123', AWS_SECRET_ACCESS_KEY: 'new-secret-example' });
      const writes = await Promise.all(found.consumers.map((c) => store.write(c, value, ctx)));
      expect(proxy.injected).toHaveLength(2); // both registered: the race happened
      expect(writes.map((w) => w.version)).toEqual([`${family}:3`, `${family}:3`]);
      expect(writes.filter((w) => w.changed)).toHaveLength(1);
      expect((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' }))).taskDefinitionArns!.map((a) => a.slice(a.lastIndexOf('/') + 1)).sort()).toEqual([`${family}:1`, `${family}:2`, `${family}:3`]);

      const deployer = new EcsServiceDeployer(awsConfig());
      for (const c of found.consumers) await deployer.redeploy(c, ctx);
      const running = async (cluster: string, name: string) => (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0]!.taskDefinition!.split('/').pop();
      expect([await running(blue, 'worker'), await running(green, 'worker'), await running(green, 'worker-canary')]).toEqual([`${family}:3`, `${family}:3`, `${family}:1`]);
    } finally {
      await proxy.stop();
    }
  });
});

