import { execFileSync } from 'node:child_process';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateFunctionCommand, GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListVersionsByFunctionCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import type { Client } from '@temporalio/client';
import { LambdaEnvStore } from '../providers/aws-lambda/store';
import { catalog, parseInventory } from '../providers';
import { discover, placeOf } from '../providers/discovery';
import type { IncidentContext } from '../providers/types';
import { awsConfig, iam, leakedKey, scratchDir, useTemporal } from './support/env';
import { incidentContext, keysOf, leakWithCrash } from './support/fixtures';

// AWS Lambda on moto: the function's environment as the store (only the consumer's variables change),
// publishing a version and moving the alias as its deploy. A worker is killed right after the redeploy
// (before Temporal hears of it); the incident still ends with one published version and the alias on it.

let client: Client;
useTemporal((c) => (client = c));
const lambda = new LambdaClient(awsConfig());
afterAll(() => lambda.destroy());

/** A function whose environment holds `vars`, with version 1 published and alias `live` on it. */
async function functionWith(name: string, vars: Record<string, string>): Promise<void> {
  const role = (await iam().send(new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!;
  const dir = scratchDir('lambda');
  execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile('${dir}/fn.zip','w');z.writestr('index.js','exports.handler=async()=>1');z.close()`]);
  const zip = require('node:fs').readFileSync(`${dir}/fn.zip`);
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: role.Arn!, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: vars } }));
  const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: name, Description: 'first' }));
  await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: v1.Version! }));
}

const env = async (fn: string) => (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).Environment?.Variables;

test('one variable is written, the others kept, and a retried write changes nothing', async () => {
  const fn = `lambda-var-${Date.now().toString(36)}`;
  await functionWith(fn, { SLACK_TOKEN: 'old', LOG_LEVEL: 'info' });
  const store = new LambdaEnvStore(awsConfig());
  const consumer = { name: 'notify', store: 'fn', key: `${fn}#SLACK_TOKEN`, field: 'token', storeSpec: { kind: 'aws-lambda-env' } };
  const ctx: IncidentContext = incidentContext('slack-token');
  expect(await store.write(consumer, 'new-token-value', ctx)).toMatchObject({ changed: true });
  expect(await store.write(consumer, 'new-token-value', ctx)).toMatchObject({ changed: false });
  expect(await env(fn)).toEqual({ SLACK_TOKEN: 'new-token-value', LOG_LEVEL: 'info' });
  expect(await store.read(consumer)).toBe('new-token-value');
  const bad = await store.write({ ...consumer, key: fn, field: 'token' }, 'plain', ctx).catch((e) => e);
  expect(bad).toMatchObject({ name: 'PermanentError', reason: 'invalid' });
});

test('an incident writes the function’s variables and publishes one version for the alias, even when a worker dies after the redeploy', async () => {
  const leak = await leakedKey('lambda');
  const fn = `billing-${leak.user}`.slice(0, 60);
  await functionWith(fn, { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' });
  const inventory = `
stores:
  fn: { kind: aws-lambda-env }
deployers:
  fn-live: { kind: aws-lambda-publish, function: ${fn}, alias: live }
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers: [{ name: billing-fn, store: fn, key: ${fn}, field: json, deploy: fn-live }]
`;
  const { incidentId, state: s } = await leakWithCrash(client, { name: 'lambda', inventory, keyId: leak.keyId, crashAfter: 'redeploy' });
  expect(s.status).toBe('completed');
  const [newKey] = await keysOf(leak.user);
  const vars = await env(fn);
  expect(vars).toMatchObject({ AWS_ACCESS_KEY_ID: newKey!.id, LOG_LEVEL: 'info' });
  expect(vars?.AWS_SECRET_ACCESS_KEY).not.toBe(leak.secret);
  const versions = (await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: fn }))).Versions!.filter((v) => v.Version !== '$LATEST');
  const mine = versions.filter((v) => v.Description === `leakstop ${incidentId} billing-fn`);
  expect(mine).toHaveLength(1);
  expect((await lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' }))).FunctionVersion).toBe(mine[0]!.Version);
  expect(s.deploys).toEqual([expect.objectContaining({ consumer: 'billing-fn', status: 'succeeded', detail: `alias live → version ${mine[0]!.Version}` })]);
});

test('discovery searches functions’ environments: a key found beside its secret makes the whole function the consumer', async () => {
  const leak = await leakedKey('lambda-disc');
  const fn = `disc-${leak.user}`.slice(0, 60);
  await functionWith(fn, { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' });
  const inventory = parseInventory(`stores: { fn: { kind: aws-lambda-env } }\ndiscovery: { sources: { fn: { prefixes: [${fn}] } } }`);
  const registry = catalog.registry({ vault: {} as never, env: {}, settings: { aws: awsConfig() }, inventory });
  const d = await discover({ inventory, registry, catalog });
  expect(d.problems).toEqual([]);
  expect(d.found.filter((f) => f.credentialId === leak.keyId).map(placeOf)).toEqual([{ store: 'fn', key: fn, provider: 'aws-iam', credentialId: leak.keyId, matchedBy: 'id', field: 'json' }]);
});
