import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { parseInventory } from '../providers';
import { AssumedRoles, type RoleCredentials } from '../providers/aws/assumed-roles';
import { ROLE_ACTIONS } from '../providers/aws-iam/accounts';
import { AwsIamConfigSchema } from '../providers/aws-iam/config';
import { AwsIamProvider } from '../providers/aws-iam/provider';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, iam, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { FaultProxy } from './support/fault-proxy';
import { document, POLICIES, responder } from './support/least-privilege';
import { callerArn, leakInput, report, standardInventory, stsAs, thrown, waitForState } from './support/fixtures';

// Keys of another AWS account (moto's second account, test/support/second-account.ts), acted on through
// a role Leakstop assumes there. What moto 5.2.5 checks, and what it does not: a role in another account
// is assumed without looking at it (its trust policy, the external id, even whether it exists); the
// credentials then act in that account, and each call is allowed only by the role's own policies (a
// missing role answers HTTP 500 there). The caller's own policies are checked for sts:AssumeRole too.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const second = () => testEnv().secondAccount;
/** Account B's administrator: sets up B's roles and users, as that account's owners would. */
const asAdminOfB = () => ({ region: 'us-east-1', endpoint: testEnv().motoEndpoint, credentials: second().admin, maxAttempts: 1 });

/** Leakstop's principal (the run's admin user), as a trust policy names it. */
let leakstop: string;
/** A responder of account A holding only the policies deploy/aws/ publishes (respond.json grants sts:AssumeRole). */
let leastPrivileged: Awaited<ReturnType<typeof responder>> & { arn: string };
beforeAll(async () => {
  leakstop = (await new STSClient(awsConfig()).send(new GetCallerIdentityCommand({}))).Arn!;
  const me = await responder(Object.fromEntries(POLICIES.map((p) => [p, document(p)])));
  leastPrivileged = { ...me, arn: `arn:aws:iam::${(await new STSClient(awsConfig()).send(new GetCallerIdentityCommand({}))).Account}:user/${me.user}` };
});

/** A role in account B trusting `trusts` (with an external id, when given), allowed `allow`. */
async function roleInB(o: { trusts: string; externalId?: string; allow?: readonly string[]; name?: string }) {
  const name = o.name ?? `leakstop-responder-${randomUUID().slice(0, 8)}`;
  const statement = { Effect: 'Allow', Principal: { AWS: o.trusts }, Action: 'sts:AssumeRole', ...(o.externalId ? { Condition: { StringEquals: { 'sts:ExternalId': o.externalId } } } : {}) };
  const admin = new IAMClient(asAdminOfB());
  await admin.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) }));
  if (o.allow?.length) {
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [...o.allow], Resource: '*' }] };
    await admin.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'respond', PolicyDocument: JSON.stringify(policy) }));
  }
  admin.destroy();
  return { name, arn: `arn:aws:iam::${second().id}:role/${name}` };
}

/** A user of account B with one access key: the key that leaked. */
async function leakedKeyInB(prefix: string) {
  const user = `${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = new IAMClient(asAdminOfB());
  await admin.send(new CreateUserCommand({ UserName: user }));
  const k = (await admin.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  admin.destroy();
  return { user, keyId: k.AccessKeyId!, secret: k.SecretAccessKey! };
}

async function keysInB(user: string) {
  const r = await new IAMClient(asAdminOfB()).send(new ListAccessKeysCommand({ UserName: user }));
  return (r.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! }));
}

/**
 * Every AssumeRole Leakstop sends passes this proxy in front of moto and is kept with moto's answer: one
 * session per call. (moto's own record, /moto-api/data.json, fails once other files' Lambda or ECS state
 * is in it.)
 */
const sts = new FaultProxy(testEnv().motoEndpoint);
beforeAll(async () => {
  await sts.start();
  sts.recordMatching(/Action=AssumeRole&/);
});
afterAll(() => sts.stop());

interface Session {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

function sessionsOf(roleArn: string): Session[] {
  const xml = (r: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(r)?.[1];
  return sts.recorded
    .map(({ request, response }) => {
      const form = new URLSearchParams(request.slice(request.indexOf(' ') + 1));
      return {
        roleArn: form.get('RoleArn') ?? '',
        externalId: form.get('ExternalId') ?? undefined,
        sessionName: form.get('RoleSessionName') ?? undefined,
        accessKeyId: xml(response, 'AccessKeyId'),
        secretAccessKey: xml(response, 'SecretAccessKey'),
        sessionToken: xml(response, 'SessionToken'),
      };
    })
    .filter((s) => s.roleArn === roleArn);
}

/** The inventory's `providers.aws-iam` section, after the usual consumers. */
const withSection = (user: string, section: object) =>
  `${standardInventory({ owner: user, tag: user, hookUrl: hook.url })}\nproviders:\n  aws-iam: ${JSON.stringify(section)}\n`;

test('a key of another account is contained, rotated and revoked through the role assumed there: one AssumeRole for the whole incident', async () => {
  const externalId = `leakstop-${randomUUID()}`;
  // Account A's side runs as the least-privileged responder; the role in B grants what the code says it needs.
  const role = await roleInB({ trusts: leastPrivileged.arn, externalId, allow: ROLE_ACTIONS });
  const leak = await leakedKeyInB('svc-b');
  const taskQueue = uniqueQueue('multi-account');
  const worker = await startWorker({ taskQueue, awsEndpoint: sts.url, awsCredentials: leastPrivileged.credentials, inventory: withSection(leak.user, { accounts: { [second().id]: { roleName: role.name, externalId } } }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId, { exposure: { source: 'cli', public: true } }));
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(state.status).toBe('completed');
    expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
    expect(state.identification).toMatchObject({ owner: leak.user, account: second().id });

    // In account B the user has only the new key, and AWS rejects the leaked one.
    expect(await keysInB(leak.user)).toEqual([{ id: state.newCredential!.id, status: 'Active' }]);
    await expect(stsAs(leak.keyId, leak.secret).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    // The consumers got the new key (from the vault, as for any key), and it works as the user in B.
    const stored = JSON.parse((await new SecretsManagerClient(awsConfig()).send(new GetSecretValueCommand({ SecretId: `${leak.user}/api/aws` }))).SecretString!);
    expect(stored.AWS_ACCESS_KEY_ID).toBe(state.newCredential!.id);
    expect(await callerArn(stored.AWS_ACCESS_KEY_ID, stored.AWS_SECRET_ACCESS_KEY)).toBe(`arn:aws:iam::${second().id}:user/${leak.user}`);

    // Every verb went through one session of the configured role, asked with its external id...
    const sessions = sessionsOf(role.arn);
    expect(sessions.map((s) => s.accessKeyId)).toHaveLength(1); // ids only: a failure prints no session secret
    expect(sessions[0]).toMatchObject({ externalId, sessionName: 'leakstop' });
    expect(sessions[0]!.secretAccessKey).toBeTruthy();
    // ...whose credentials appear nowhere in the incident's state or report.
    const postMortem = readFileSync(state.postMortem!.url, 'utf8');
    expect(postMortem).toContain(`in account ${second().id}`);
    const told = JSON.stringify(state) + postMortem;
    expect(told).not.toContain(sessions[0]!.secretAccessKey);
    expect(told).not.toContain(sessions[0]!.sessionToken);
    expect(told).not.toContain(externalId);
  } finally {
    await worker.stop();
  }
});

test('a role AWS refuses waits for a person, naming the role to create in which account and its trust policy; retry after the fix finishes', async () => {
  // AWS refuses AssumeRole alike for a missing role, a trust policy without the responder and a wrong external
  // id. moto checks none of these for a role in another account, so the refusal comes from the responder's
  // own policy (which moto does check): a responder in Leakstop's account that may do anything but assume roles.
  const responder = `responder-${randomUUID().slice(0, 8)}`;
  await iam().send(new CreateUserCommand({ UserName: responder }));
  const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' };
  const mayNotAssume = { Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*' };
  const policy = (...Statement: object[]) => new PutUserPolicyCommand({ UserName: responder, PolicyName: 'responder', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement }) });
  await iam().send(policy(allowAll, mayNotAssume));
  const key = (await iam().send(new CreateAccessKeyCommand({ UserName: responder }))).AccessKey!;
  const responderArn = `arn:aws:iam::123456789012:user/${responder}`;

  const roleName = `leakstop-responder-${randomUUID().slice(0, 8)}`; // not created yet: missing, as AWS would say
  const externalId = `leakstop-${randomUUID()}`;
  const leak = await leakedKeyInB('svc-refused');
  const taskQueue = uniqueQueue('multi-account-refused');
  const worker = await startWorker({
    taskQueue,
    awsCredentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    inventory: withSection(leak.user, { roleName, externalId }), // one role name for every account
  });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting', 60_000);
    expect(waiting.waiting[0]).toMatchObject({ phase: 'triage', step: 'identify', kind: 'decision' });
    const reason = waiting.waiting[0]!.reason;
    expect(reason).toContain(`cannot assume role arn:aws:iam::${second().id}:role/${roleName} to act in AWS account ${second().id} (AccessDenied`);
    expect(reason).toContain(`create the IAM role ${roleName} in account ${second().id} with this trust policy: `);
    const trust = JSON.parse(/trust policy: (\{.*?\}\]\})/.exec(reason)![1]!);
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: responderArn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': '<the external id configured for this account>' } } }],
    });
    expect(reason).toContain('iam:UpdateAccessKey');
    expect(reason).not.toContain(externalId);
    expect(await keysInB(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]); // nothing was done in B

    // A person creates the role as told (and lets the responder assume roles): retry goes through.
    await roleInB({ name: roleName, trusts: responderArn, externalId, allow: ROLE_ACTIONS });
    await iam().send(policy(allowAll));
    await client.workflow.getHandle(incidentId).executeUpdate('decide', { args: [{ decision: 'retry', by: 'jo' }] });
    const done: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(done.status).toBe('completed');
    expect(await keysInB(leak.user)).toEqual([{ id: done.newCredential!.id, status: 'Active' }]);
  } finally {
    await worker.stop();
  }
});

test('a key of an account no role is configured for waits for a person, saying what to configure and create', async () => {
  const leak = await leakedKeyInB('svc-unconfigured');
  const taskQueue = uniqueQueue('multi-account-unconfigured');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting', 60_000);
    expect(waiting.waiting[0]).toMatchObject({ phase: 'triage', step: 'identify' });
    expect(waiting.waiting[0]!.reason).toMatch(
      new RegExp(`belongs to AWS account ${second().id}, not Leakstop's own \\(123456789012\\), and no role is configured for it\\. Set providers\\.aws-iam\\.roleName .* or providers\\.aws-iam\\.accounts\\."${second().id}"\\.roleName, then create the IAM role`),
    );
    expect(waiting.waiting[0]!.reason).toContain(`"Principal":{"AWS":"${leakstop}"}`);
    expect(await keysInB(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
    await client.workflow.getHandle(incidentId).terminate('the test needs only the escalation');
  } finally {
    await worker.stop();
  }
});

test('a role that may not act waits for a person, naming the role and what it must be allowed', async () => {
  const role = await roleInB({ trusts: leakstop }); // trusted, but no permissions
  const leak = await leakedKeyInB('svc-powerless');
  const taskQueue = uniqueQueue('multi-account-powerless');
  const worker = await startWorker({ taskQueue, inventory: withSection(leak.user, { roleName: role.name }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting', 60_000);
    expect(waiting.waiting[0]).toMatchObject({ phase: 'triage', step: 'identify' });
    expect(waiting.waiting[0]!.reason).toMatch(/AccessDenied: .*not authorized to perform: iam:GetAccessKeyLastUsed/);
    expect(waiting.waiting[0]!.reason).toContain(`Leakstop acts in account ${second().id} through role ${role.arn}: give it a policy allowing iam:GetAccessKeyLastUsed, `);
    await client.workflow.getHandle(incidentId).terminate('the test needs only the escalation');
  } finally {
    await worker.stop();
  }
});

test('assumed credentials are kept until five minutes before they expire, then renewed once however many ask', async () => {
  const role = await roleInB({ trusts: leakstop, allow: ['iam:ListUsers'] });
  let now = Date.now();
  const roles = new AssumedRoles(new STSClient({ ...awsConfig(), endpoint: sts.url }), 'leakstop', (r) => new Error(`refused ${r.arn}`), () => now);
  const first: RoleCredentials = await roles.credentials({ arn: role.arn });
  expect(await roles.credentials({ arn: role.arn })).toBe(first);
  expect(sessionsOf(role.arn).map((s) => s.accessKeyId)).toHaveLength(1);
  // They act in account B as the role.
  const me = await new STSClient({ ...awsConfig(), credentials: first }).send(new GetCallerIdentityCommand({}));
  expect(me.Arn).toBe(`arn:aws:sts::${second().id}:assumed-role/${role.name}/leakstop`);

  now = first.expiration.getTime() - 6 * 60_000;
  expect(await roles.credentials({ arn: role.arn })).toBe(first);
  now = first.expiration.getTime() - 4 * 60_000;
  const renewed = await Promise.all([1, 2, 3].map(() => roles.credentials({ arn: role.arn })));
  expect(new Set(renewed).size).toBe(1);
  expect(renewed[0]!.accessKeyId).not.toBe(first.accessKeyId);
  expect(sessionsOf(role.arn).map((s) => s.accessKeyId)).toHaveLength(2);
});

test("the hygiene audit lists the keys of every configured account, each owner named with its account", async () => {
  const role = await roleInB({ trusts: leakstop, allow: ROLE_ACTIONS });
  const leak = await leakedKeyInB('svc-audit');
  const config = AwsIamConfigSchema.parse({ accounts: { [second().id]: { roleName: role.name } } });
  const vault = { put: async () => undefined, get: async () => undefined, delete: async () => undefined };
  const listed = await new AwsIamProvider(awsConfig(), vault, config).list();
  expect(listed).toContainEqual(expect.objectContaining({ id: leak.keyId, owner: `${second().id}/${leak.user}`, status: 'active', lastUsedAt: null }));
  expect(listed).toContainEqual(expect.objectContaining({ id: testEnv().admin.accessKeyId, owner: 'leakstop-admin' }));
});

test('the providers.aws-iam section is checked, naming the field', async () => {
  const problem = async (section: string) => (await thrown(async () => parseInventory(`providers:\n  aws-iam: ${section}\n`))).message;
  expect(await problem('{ accounts: { "12345": { roleName: r } } }')).toMatch(/providers\.aws-iam\.accounts\.12345.*: must be an AWS account id \(12 digits\)/);
  expect(await problem('{ accounts: { "111122223333": { externalId: abc } } }')).toMatch(/providers\.aws-iam\.accounts\.111122223333\.roleName: needed: no default roleName is set/);
  expect(await problem('{ roleName: "no spaces" }')).toMatch(/providers\.aws-iam\.roleName: must be an IAM role name/);
  expect(await problem('{ roleName: r, externalId: "x" }')).toMatch(/providers\.aws-iam\.externalId: must be an external id/);
  expect(await problem('{ roleName: r, role: r }')).toMatch(/providers\.aws-iam.*role/);
});
