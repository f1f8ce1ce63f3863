import { readFileSync } from 'node:fs';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { awsConfig, iam, leakedKey, startWorker, uniqueQueue, useTemporal } from './support/env';
import { standardInventory, stsAs, report } from './support/fixtures';

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('the full runbook against moto: old key dead, new key everywhere, deployed once, post-mortem written', async () => {
  const leak = await leakedKey('svc-billing');
  const taskQueue = uniqueQueue('runbook');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    const started = await report(client, taskQueue, {
      provider: 'aws-iam',
      credentialId: leak.keyId,
      exposure: { source: 'cli', public: true, repository: 'acme/billing', commit: 'abc123', path: 'config/prod.env', line: 3 },
      requestedBy: 'alice',
    });
    expect(started.joined).toBe(false);
    expect(started.incidentId).toMatch(/^leak-aws-[0-9a-f]{16}$/);
    const state: IncidentState = await client.workflow.getHandle(started.incidentId).result();

    expect(state.status).toBe('completed');
    expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);

    // The old key is gone, and AWS (moto, auth enforced) rejects calls signed with it.
    const keys = (await iam().send(new ListAccessKeysCommand({ UserName: leak.user }))).AccessKeyMetadata!;
    expect(keys.map((k) => k.AccessKeyId)).toEqual([state.newCredential!.id]);
    await expect(stsAs(leak.keyId, leak.secret).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });

    // Secrets Manager holds both halves of the new key, which works; SSM holds its secret half.
    const sm = new SecretsManagerClient(awsConfig());
    const stored = JSON.parse(await readSecret(sm, `${leak.user}/api/aws`));
    expect(stored.AWS_ACCESS_KEY_ID).toBe(state.newCredential!.id);
    const me = await stsAs(stored.AWS_ACCESS_KEY_ID, stored.AWS_SECRET_ACCESS_KEY).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toMatch(new RegExp(`:user/${leak.user}$`));
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: `${leak.user}/api/aws` }));
    expect(versions.Versions).toHaveLength(1);
    const param = await new SSMClient(awsConfig()).send(new GetParameterCommand({ Name: `/${leak.user}/worker/aws-secret`, WithDecryption: true }));
    expect(param.Parameter!.Value).toBe(stored.AWS_SECRET_ACCESS_KEY);
    expect(param.Parameter!.Version).toBe(1);

    // The deploy hook saw exactly one deploy for this incident.
    const mine = [...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(started.incidentId));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.posts).toBe(1);

    // The post-mortem has every section, with this incident's values, and no secret.
    const postMortem = readFileSync(state.postMortem!.url, 'utf8');
    for (const section of ['## Summary', '## Exposure', '## Timeline', '```mermaid', '## Blast radius', '## Actions', '## Verification', '## Root-cause questions', '## Follow-ups']) {
      expect(postMortem).toContain(section);
    }
    expect(postMortem).toContain(leak.user);
    expect(postMortem).toContain(`${leak.keyId.slice(0, 4)}…${leak.keyId.slice(-4)}`);
    expect(postMortem).toContain('acme/billing');
    expect(postMortem).toMatch(/Time to contain \| \d+ ms/);
    expect(postMortem).toMatch(/Recent activity \(CloudTrail\): unknown \(CloudTrail not available /);
    expect(postMortem).not.toContain(leak.keyId);
    expect(postMortem).not.toContain(leak.secret);
    expect(postMortem).not.toContain(stored.AWS_SECRET_ACCESS_KEY);
    // The vault no longer holds the new secret once the stores have it.
    expect(await worker.deps.vault.get(`${started.incidentId}/aws-iam/new-key`)).toBeUndefined();
  } finally {
    await worker.stop();
  }
});

async function readSecret(sm: SecretsManagerClient, id: string): Promise<string> {
  return (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;
}

test('the first response contains in the same activity that identifies: no workflow task between them', async () => {
  const leak = await leakedKey('svc-first');
  const taskQueue = uniqueQueue('first');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }) });
  try {
    const { incidentId } = await report(client, taskQueue, { provider: 'aws-iam', credentialId: leak.keyId, exposure: { source: 'cli', public: true }, requestedBy: 'alice' });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    const scheduled = ((await client.workflow.getHandle(incidentId).fetchHistory()).events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter((n): n is string => !!n);
    expect(scheduled[0]).toBe('firstResponse');
    expect(scheduled).not.toContain('contain'); // contained by the first response, not by a later step
    expect(state.containment).toMatchObject({ changed: true, summary: expect.stringContaining('inactive') });
    expect(state.actions.map((a) => `${a.phase}/${a.step}`).slice(0, 2)).toEqual(['triage/identify', 'contain/deactivate key']);
  } finally {
    await worker.stop();
  }
});
