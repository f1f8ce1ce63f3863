import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { secretId } from '../domain/fingerprint';
import { parseInventory } from '../providers';
import { cli } from '../triggers/cli';
import { randomBase62 } from './github/tokens';
import { awsConfig, leakedKey, testEnv } from './support/env';
import { writeFileSync } from 'node:fs';

// `leakstop inventory discover` against real stores (moto's Secrets Manager and SSM, OpenBao's dev
// server): credentials found where they sit, grouped by credential (AWS keys by their IAM user, tokens
// by fingerprint), written back as an inventory that loads; no value leaves the process.

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
