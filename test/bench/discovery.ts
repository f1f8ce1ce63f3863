import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalog, parseInventory } from '../../providers';
import { discover, NO_VAULT } from '../../providers/discovery';
import type { AwsConfig } from '../../providers/aws/config';
import { enforceMotoAuth, startMoto } from '../../worker/embedded-moto';

// Discovery's time over 1,000 entries in moto (500 Secrets Manager secrets, 500 SSM parameters, ten of
// them holding AWS key ids) and 100 Lambda functions (two of them holding a key id in their environment),
// searched whole five times: p50 and max.

const SECRETS = Number(process.env.BENCH_DISCOVERY_ENTRIES ?? 500);
const FUNCTIONS = Number(process.env.BENCH_DISCOVERY_FUNCTIONS ?? 100);
const ROUNDS = 5;


/** A zip holding one handler file, made with Python's zipfile (the machine has it; no zip tool is assumed). */
function zipWithHandler(): Buffer {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'leakstop-fn-')), 'fn.zip');
  execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile(${JSON.stringify(file)},'w');z.writestr('index.js','exports.handler=async()=>1');z.close()`]);
  return readFileSync(file);
}

export async function discoveryBench(aws: AwsConfig): Promise<{ entries: number; found: number; p50Ms: number; maxMs: number }> {
  const sm = new SecretsManagerClient(aws);
  const ssm = new SSMClient(aws);
  const iam = new IAMClient(aws);
  const tag = `bench-disc-${Date.now().toString(36)}`;
  const keys: string[] = [];
  for (let i = 0; i < 10; i++) {
    const user = `${tag}-${i}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    keys.push((await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!);
  }
  const seed = async (i: number) => {
    const value = (k: string | undefined) => JSON.stringify({ SERVICE: `svc-${i}`, ...(k ? { AWS_ACCESS_KEY_ID: k } : {}), TIMEOUT: '30s' });
    await sm.send(new CreateSecretCommand({ Name: `${tag}/svc-${i}`, SecretString: value(i % 100 === 0 ? keys[i / 100] : undefined) }));
    await ssm.send(new PutParameterCommand({ Name: `/${tag}/svc-${i}/config`, Value: value(i % 100 === 50 ? keys[(i - 50) / 100 + 5] : undefined), Type: 'SecureString' }));
  };
  for (let i = 0; i < SECRETS; i += 25) await Promise.all(Array.from({ length: Math.min(25, SECRETS - i) }, (_, j) => seed(i + j)));
  // 100 functions, each with a few variables; two hold a key id beside its (fake) secret.
  const role = (await iam.send(new CreateRoleCommand({ RoleName: `${tag}-fn`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!;
  const zip = zipWithHandler();
  const lambda = new LambdaClient(aws);
  for (let i = 0; i < FUNCTIONS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, FUNCTIONS - i) }, (_, j) => {
        const n = i + j;
        const vars = { SERVICE: `fn-${n}`, TIMEOUT: '30s', ...(n % 50 === 7 ? { AWS_ACCESS_KEY_ID: keys[n % 10]!, AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) } : {}) };
        return lambda.send(new CreateFunctionCommand({ FunctionName: `${tag}-fn-${n}`, Runtime: 'nodejs20.x', Role: role.Arn!, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: vars } }));
      }),
    );
  }
  const inventory = parseInventory(`
stores: { sm: { kind: aws-secrets-manager }, ssm: { kind: aws-ssm }, fn: { kind: aws-lambda-env } }
discovery: { sources: { sm: { prefixes: ["${tag}/"] }, ssm: { prefixes: ["/${tag}"] }, fn: { prefixes: ["${tag}-fn-"] } }, timeout: 120s }
`);
  const registry = catalog.registry({ vault: NO_VAULT, env: process.env, settings: { aws }, inventory });
  const times: number[] = [];
  let found = 0;
  let entries = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const d = await discover({ inventory, registry, catalog });
    if (d.problems.length) throw new Error(`discovery: ${JSON.stringify(d.problems)}`);
    times.push(d.ms);
    found = d.found.length;
    entries = d.entries;
  }
  times.sort((a, b) => a - b);
  return { entries, found, p50Ms: times[Math.floor(times.length / 2)]!, maxMs: times.at(-1)! };
}

if (require.main === module) {
  (async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const moto = await startMoto();
    try {
      const admin = await enforceMotoAuth(moto.endpoint);
      console.log(JSON.stringify({ discovery: await discoveryBench({ region: 'us-east-1', endpoint: moto.endpoint, credentials: admin }) }, null, 2));
    } finally {
      await moto.stop();
    }
  })().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
