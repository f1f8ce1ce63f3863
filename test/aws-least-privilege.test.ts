import { AddUserToGroupCommand, CreateGroupCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, iam, leakedKey, startWorker, testEnv, uniqueQueue, useTemporal } from './support/env';
import { FaultProxy } from './support/fault-proxy';
import { leakInput, report, standardInventory, waitForState } from './support/fixtures';
import { functionWith, serviceRunning } from './support/aws-runtimes';
import { document, POLICIES, responder, type PolicyDocument, type PolicyName } from './support/least-privilege';

// The responder runs under exactly the IAM policies deploy/aws/ publishes, not the run's admin key: moto
// (5.2.5, authentication enforced) checks every call against the caller's identity policies. What it
// checks: the action, named `<service of the signature's scope>:<operation>` (so `iam:UpdateAccessKey`,
// `secretsmanager:PutSecretValue`), Allow and explicit Deny; the resource only for IAM role names,
// sts:AssumeRole and SQS (every other call is checked against "*", so a policy scoped to ARNs refuses
// what it should allow there); sts:GetCallerIdentity is always allowed, as on AWS. What it does not:
// permissions AWS checks beside the call (iam:PassRole, ecs:TagResource on a tagged register, KMS for a
// customer key), conditions on request context, permission boundaries and SCPs.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

/**
 * The standard incident's inventory, with the quarantine policy and discovery during the incident searching
 * the stores too; what it finds (a Lambda function reached through an alias, an ECS service's task
 * definition) is updated and redeployed at once, so the documents' write and deploy actions are exercised.
 */
function inventory(owner: string) {
  const standard = standardInventory({ owner, tag: owner, hookUrl: hook.url, policy: '{ quarantine: true }' });
  return `${standard.replace('stores:\n', 'stores:\n  fn: { kind: aws-lambda-env }\n  td: { kind: aws-ecs-task-definition, redeploy: { until: accepted, pollInterval: 200ms } }\n')}
discovery:
  sources:
    prod-sm: { prefixes: ["${owner}/"] }
    prod-ssm: { prefixes: ["/${owner}"] }
    fn: { prefixes: ["${owner}-"] }
    td: { prefixes: ["${owner}-"] }
  discovered: update
`;
}

/**
 * The IAM action of every call the proxy in front of moto passes on, with the key that signed it:
 * `Action=` of the query protocols (IAM, STS), X-Amz-Target of the JSON ones (Secrets Manager, SSM,
 * CloudTrail, ECS), the operation of an RPC v2 path; a REST call (Lambda) is named by its route.
 */
async function actionLog(target: string): Promise<{ url: string; calls: { key: string; action: string; status: number }[]; stop(): Promise<void> }> {
  const proxy = await new FaultProxy(target).start();
  const calls: { key: string; action: string; status: number }[] = [];
  proxy.observe(({ method, url, headers, body, status }) => {
    const [key = '?', , , service = '?'] = (/Credential=([^,\s]+)/.exec(headers.authorization ?? '')?.[1] ?? '').split('/');
    const target = headers['x-amz-target'];
    const route = url.split('?')[0]!;
    const operation =
      (typeof target === 'string' ? target.split('.').pop() : undefined) ??
      new URLSearchParams(/x-www-form-urlencoded/.test(headers['content-type'] ?? '') ? body.toString('utf8') : '').get('Action') ??
      /\/operation\/(\w+)$/.exec(url)?.[1] ??
      lambdaOperation(method, route) ??
      `${method} ${route}`;
    calls.push({ key, action: `${service}:${operation}`, status });
  });
  return { url: proxy.url, calls, stop: () => proxy.stop() };
}

/** The Lambda operations Leakstop calls, by their REST route (anything else stays unnamed, and fails the check). */
const LAMBDA_ROUTES: [string, RegExp, string][] = [
  ['GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'GetFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/configuration$/, 'UpdateFunctionConfiguration'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/versions$/, 'ListVersionsByFunction'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/versions$/, 'PublishVersion'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'GetAlias'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/aliases\/?$/, 'ListAliases'],
];
const lambdaOperation = (method: string, route: string) => LAMBDA_ROUTES.find(([m, r]) => m === method && r.test(route))?.[2];

/** Whether a policy's Action entry (`iam:List*`) names `action`; IAM compares action names case-insensitively. */
const names = (pattern: string, action: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

test('the full runbook with only the published policies: every step done, every call the responder made granted by them', async () => {
  const documents = Object.fromEntries(POLICIES.map((p) => [p, document(p)])) as Record<PolicyName, PolicyDocument>;
  for (const doc of Object.values(documents)) {
    expect(doc.Version).toBe('2012-10-17');
    const sids = doc.Statement.map((st) => st.Sid);
    expect(sids.filter((sid) => !/^[A-Za-z0-9]+$/.test(sid ?? ''))).toEqual([]); // IAM: every statement says its purpose, alphanumeric
    expect(new Set(sids).size).toBe(sids.length);
  }
  const me = await responder(documents); // moto validates each document as IAM does at PutUserPolicy
  const leak = await leakedKey('svc-least');
  // In a group, so the blast radius reads group policies too.
  const admin = iam();
  await admin.send(new CreateGroupCommand({ GroupName: leak.user }));
  await admin.send(new AddUserToGroupCommand({ GroupName: leak.user, UserName: leak.user }));
  admin.destroy();
  // Where the key also sits, unlisted: a function's environment and a service's task definition.
  const pair = { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret };
  await functionWith(`${leak.user}-billing`, pair);
  await serviceRunning({ family: `${leak.user}-batch`, cluster: `${leak.user}-cluster`, service: 'batch', environment: pair });
  const log = await actionLog(testEnv().motoEndpoint);
  const taskQueue = uniqueQueue('least-privilege');
  const worker = await startWorker({ taskQueue, inventory: inventory(leak.user), awsCredentials: me.credentials, awsEndpoint: log.url });
  try {
    const { incidentId } = await report(client, taskQueue, {
      ...leakInput(leak.keyId),
      exposure: { source: 'cli', public: true, repository: 'acme/billing', commit: 'abc123', path: 'config/prod.env', line: 3 },
    });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();

    expect(state.status).toBe('completed');
    expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
    expect(state.actions.map((a) => a.phase)).toEqual(expect.arrayContaining(['triage', 'blast-radius', 'contain', 'regenerate', 'update-environments', 'redeploy', 'verify', 'revoke']));
    // Done with the responder's policies: the leaked key is gone, the new one is in the store.
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: leak.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.newCredential!.id]);
    const stored = JSON.parse((await new SecretsManagerClient(awsConfig()).send(new GetSecretValueCommand({ SecretId: `${leak.user}/api/aws` }))).SecretString!);
    expect(stored.AWS_ACCESS_KEY_ID).toBe(state.newCredential!.id);
    expect(state.containment!.summary).toContain('attached deny-all policy LeakstopQuarantine');
    expect(state.revocation!.summary).toContain('removed LeakstopQuarantine');
    expect(state.blastRadius!.facts).toMatchObject({ policies: { groups: [{ group: leak.user }] } });

    // Every call went through the log signed by the responder (the new key's own STS check aside), and none
    // was refused: a read the blast radius or discovery lacks would only make a fact "unknown", not fail a
    // step, so refusals are counted on the wire. (Other errors are expected: a secret not yet made is 404,
    // a parameter 400, and moto answers CloudTrail LookupEvents with 500 once the call is allowed.)
    const mine = log.calls.filter((c) => c.key === me.credentials.accessKeyId);
    expect(log.calls.filter((c) => c.key !== me.credentials.accessKeyId && c.key !== state.newCredential!.id)).toEqual([]);
    expect(mine.filter((c) => c.status === 401 || c.status === 403)).toEqual([]);
    expect(JSON.stringify([state.blastRadius, state.discovered, state.timeline])).not.toMatch(/AccessDenied|not authorized/);
    const used = [...new Set(mine.map((c) => c.action))].sort();
    const granted = POLICIES.flatMap((p) => documents[p].Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action.map((action) => ({ policy: p, sid: s.Sid, action }))));
    expect(used.filter((a) => !granted.some((g) => names(g.action, a)))).toEqual([]);
    // Sanity of the names read off the wire: the incident's own verbs are among them.
    expect(used).toEqual(expect.arrayContaining(['iam:UpdateAccessKey', 'iam:CreateAccessKey', 'iam:DeleteAccessKey', 'secretsmanager:PutSecretValue', 'ssm:PutParameter']));
    // The discovered places were written and redeployed under the documents: the function's alias moved, the service updated.
    expect(state.discovered?.added?.names).toHaveLength(2);
    expect(used).toEqual(expect.arrayContaining(['lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion', 'lambda:UpdateAlias', 'ecs:RegisterTaskDefinition', 'ecs:UpdateService', 'ecs:ListServices']));

    const unused = granted.filter((g) => !used.some((a) => names(g.action, a)));
    console.log(
      [
        `AWS actions the least-privilege incident used (${used.length}): ${used.join(', ')}`,
        `granted by deploy/aws/ but used by no call of this test (${unused.length}):`,
        ...unused.map((g) => `  ${g.policy}.json ${g.sid}: ${g.action}`),
      ].join('\n'),
    );
  } finally {
    await worker.stop();
    await log.stop();
  }
});

test('an action the policy lacks fails the step: without iam:UpdateAccessKey, contain waits for a person with AccessDenied naming it', async () => {
  const respond = document('respond');
  const without: PolicyDocument = {
    ...respond,
    Statement: respond.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== 'iam:UpdateAccessKey') })),
  };
  expect(JSON.stringify(without)).not.toContain('iam:UpdateAccessKey');
  const me = await responder({ respond: without, rotate: document('rotate'), discover: document('discover') });
  const leak = await leakedKey('svc-least-denied');
  const taskQueue = uniqueQueue('least-privilege-denied');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }), awsCredentials: me.credentials });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId, { exposure: { source: 'cli', public: true } }));
    const state = await waitForState(client, incidentId, (s) => s.status === 'waiting', 60_000);
    expect(state.waiting).toHaveLength(1);
    expect(state.waiting[0]).toMatchObject({ phase: 'contain', kind: 'decision' });
    expect(state.waiting[0]!.reason).toMatch(new RegExp(`AccessDenied: .*${me.user} is not authorized to perform: iam:UpdateAccessKey`));
    // Identified with the same policy: only the missing action failed, and the key is still active.
    expect(state.identification).toMatchObject({ owner: leak.user, status: 'active' });
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: leak.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.Status)).toEqual(['Active']);
    await client.workflow.getHandle(incidentId).terminate('the test needs only the escalation');
  } finally {
    await worker.stop();
  }
});
