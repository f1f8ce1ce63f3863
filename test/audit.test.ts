import { CreateAccessKeyCommand, CreateUserCommand, ListUsersCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { auditCredentials } from '../domain/audit';
import { catalog, parseInventory } from '../providers';
import { runAudit } from '../providers/audit';
import { NO_VAULT } from '../providers/discovery';
import { awsConfig, iam } from './support/env';

// The key-hygiene audit against moto's IAM, its clock moved into the future (creation dates cannot be
// faked): old keys, unused ones (never, or not lately), owners with two active keys, keys no inventory
// entry covers; an inactive key is not reported as old or unused.

const tag = `hyg${Date.now().toString(36)}`;
const user = (s: string) => `${tag}-${s}`;
const DAY = 86_400_000;
let keys: Record<string, string> = {};

beforeAll(async () => {
  const c = iam();
  const make = async (u: string) => (await c.send(new CreateAccessKeyCommand({ UserName: u }))).AccessKey!;
  for (const u of ['deployer', 'twice', 'covered', 'idle']) await c.send(new CreateUserCommand({ UserName: user(u) }));
  const deployer = await make(user('deployer'));
  const [t1, t2] = [await make(user('twice')), await make(user('twice'))];
  const covered = await make(user('covered'));
  const idle = await make(user('idle'));
  await c.send(new UpdateAccessKeyCommand({ UserName: user('idle'), AccessKeyId: idle.AccessKeyId!, Status: 'Inactive' }));
  // The deployer's key is used once (moto records the last use of any signed IAM call, even a denied one).
  await iamAs(deployer.AccessKeyId!, deployer.SecretAccessKey!).send(new ListUsersCommand({})).catch(() => undefined);
  keys = { deployer: deployer.AccessKeyId!, t1: t1.AccessKeyId!, t2: t2.AccessKeyId!, covered: covered.AccessKeyId!, idle: idle.AccessKeyId! };
  c.destroy();
});

function iamAs(accessKeyId: string, secretAccessKey: string) {
  const { IAMClient } = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
  return new IAMClient({ ...awsConfig(), credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

const inventory = () =>
  parseInventory(`
hygiene: { maxAge: 30d, unusedFor: 20d }
credentials:
  - { provider: aws-iam, owner: ${user('covered')} }
`);

async function auditAt(daysAhead: number) {
  const inv = inventory();
  const registry = catalog.registry({ vault: NO_VAULT, env: {}, settings: { aws: awsConfig() }, inventory: inv });
  const r = await runAudit({ inventory: inv, registry, catalog, now: new Date(Date.now() + daysAhead * DAY) });
  const ours = r.findings.filter((f) => f.credential.owner.startsWith(tag));
  return { ...r, ours: ours.map((f) => `${f.kind} ${f.credential.owner.slice(tag.length + 1)}: ${f.detail}`) };
}

test('45 days on: old and unused keys, never used or not lately, two keys, and what the inventory does not cover', async () => {
  const r = await auditAt(45);
  expect(r.problems).toEqual([]);
  expect(r.ours).toEqual([
    'old covered: 45 days old (the rule is 30)',
    'old deployer: 45 days old (the rule is 30)',
    'old twice: 45 days old (the rule is 30)',
    'old twice: 45 days old (the rule is 30)',
    'unused covered: never used in 45 days',
    'unused deployer: last used 45 days ago',
    'unused twice: never used in 45 days',
    'unused twice: never used in 45 days',
    'two-keys twice: ' + `${user('twice')} has 2 active keys: one is probably forgotten`,
    'two-keys twice: ' + `${user('twice')} has 2 active keys: one is probably forgotten`,
    'not-in-inventory deployer: no inventory entry: a leak would find no consumers to update',
    'not-in-inventory idle: no inventory entry: a leak would find no consumers to update',
    'not-in-inventory twice: no inventory entry: a leak would find no consumers to update',
    'not-in-inventory twice: no inventory entry: a leak would find no consumers to update',
  ]);
  expect(r.listed.find((c) => c.id === keys.deployer)).toMatchObject({ status: 'active', lastUsedAt: expect.any(String) });
  expect(r.listed.find((c) => c.id === keys.covered)).toMatchObject({ lastUsedAt: null });
});

test('today only the two keys and the uncovered ones; the report has the chart and one table per kind', async () => {
  const r = await auditAt(0);
  expect(r.ours.filter((f) => !f.startsWith('not-in-inventory'))).toEqual([
    `two-keys twice: ${user('twice')} has 2 active keys: one is probably forgotten`,
    `two-keys twice: ${user('twice')} has 2 active keys: one is probably forgotten`,
  ]);
  expect(r.markdown).toMatch(/^# Key hygiene, \d{4}-\d{2}-\d{2}\n/);
  expect(r.markdown).toContain('```mermaid\nxychart-beta\n');
  expect(r.markdown).toContain('## Owners with more than one active key');
  expect(r.markdown).not.toContain('## Older than the rule');
  expect(r.summary).toMatch(/^Key hygiene: \d+ credential\(s\); \d+ owners with more than one active key, \d+ not in the inventory\.$/);
});

test('expiry dates are warned ahead and after', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const rules = { maxAgeDays: 90, unusedForDays: 30, expiryWarningDays: 14 };
  const f = auditCredentials(
    [
      { provider: 'github-token', id: 'a', owner: 'octo', status: 'active', expiresAt: '2027-01-10T00:00:00Z', lastUsedAt: undefined },
      { provider: 'github-token', id: 'b', owner: 'octo2', status: 'active', expiresAt: '2026-12-20T00:00:00Z' },
      { provider: 'github-token', id: 'c', owner: 'octo3', status: 'active', expiresAt: '2027-03-01T00:00:00Z' },
    ],
    rules,
    () => true,
    now,
  );
  expect(f.map((x) => `${x.kind} ${x.credential.id}: ${x.detail}`)).toEqual(['expiring a: expires in 9 days', 'expiring b: expired 12 days ago']);
});
