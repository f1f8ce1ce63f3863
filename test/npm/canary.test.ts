import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor, secretId } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { statusQuery } from '../../workflows/definitions';
import { findLeaks, historySinks, temporalDatabase } from '../support/canary';
import { awsConfig, controlFor, scratchDir, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { spawnWorker } from '../support/worker-child';
import { truffleHogLine } from '../webhooks/fixtures';
import { signedGeneric, startIngress } from '../webhooks/harness';
import { configurePassword, createToken, newAccount, registry } from './harness';

// The leak canary for npm tokens (as test/canary.test.ts for AWS keys): a full incident, from a
// TruffleHog finding on the ingress to the post-mortem, with a worker in its own process whose log is
// read, and a hostile deploy hook that echoes the new token back in an error, which then travels
// through an activity failure, the waiting reason, Temporal's logs and the post-mortem. Then every sink
// is read raw: not one secret (the leaked token, the new one, the account's password) may appear, in
// plain text, base64 or URL-encoded form.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('an npm token incident leaves no token or password in history, the Temporal database, logs, notifications, the post-mortem, HTTP answers or the vault files', async () => {
  const account = await newAccount('canary');
  configurePassword(account);
  const leaked = await createToken(account);
  const taskQueue = uniqueQueue('npm-canary');
  const dataDir = scratchDir('npm-canary');
  const sm = new SecretsManagerClient(awsConfig());
  const secretName = `${account.user}/npm`;
  let echoed = 0;
  hook.refuse = async ({ idempotencyKey }) => {
    if (echoed > 0 || !idempotencyKey.includes(':publish')) return undefined;
    echoed++;
    const value = (await sm.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString!;
    return { status: 400, body: `rejected .npmrc //registry/:_authToken=${value} (${encodeURIComponent(value)})` };
  };
  const inventory = `
providers:
  npm:
    registry: "${registry()}"
    accounts:
      ${account.user}: { passwordEnv: ${account.passwordEnv} }
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  ci-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
credentials:
  - { provider: npm-token, owner: ${account.user}, consumers: [{ name: publish, store: prod-sm, key: "${secretName}", field: token, deploy: ci-hook }] }
`;
  const worker = await spawnWorker({ taskQueue, inventory, dataDir });
  const control = controlFor(client, taskQueue);
  const webhookSecret = `generic-${randomUUID()}`;
  const ingress = await startIngress({ client, taskQueue, control, env: { LEAKSTOP_DATA_DIR: dataDir, LEAKSTOP_GENERIC_WEBHOOK_SECRET: webhookSecret } });
  try {
    const finding = { ...JSON.parse(truffleHogLine({ raw: leaked.token, detector: 'NpmToken', type: 49, file: '.npmrc' })), RawV2: leaked.token, Redacted: '' };
    const body = `${JSON.stringify(finding)}\n`;
    const res = await fetch(ingress.url('/webhooks/generic'), { method: 'POST', body, headers: signedGeneric(body, { secret: webhookSecret, contentType: 'application/x-ndjson' }) });
    const answer = `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`;
    const incidentId = incidentIdFor('npm-token', secretId(leaked.token));
    expect(answer).toContain(incidentId);

    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting', 60_000);
    expect(echoed).toBe(1);
    expect(waiting.waiting[0]!.reason).toContain('[redacted]');
    await control.decide(incidentId, { decision: 'retry', by: 'canary' });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(state.status).toBe('completed');
    expect(state.verification).toMatchObject({ newWorks: true, oldDisabled: true });

    const fresh = (await sm.send(new GetSecretValueCommand({ SecretId: secretName }))).SecretString!;
    expect(fresh).not.toBe(leaked.token);
    const secrets = {
      'leaked npm token': leaked.token,
      'new npm token': fresh,
      "the account's password": account.password,
      'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!,
    };

    const history = await historySinks(client, incidentId);
    expect(history.payloads.length).toBeGreaterThan(20);
    for (const p of history.payloads) expect(Buffer.from(p.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(history.decoded).toContain(incidentId);
    // SQLite's journal files come and go while the server runs: temporalDatabase() reads what is there.
    const vaultFiles = readdirSync(path.join(dataDir, 'vault')).map((f) => readFileSync(path.join(dataDir, 'vault', f)));
    const postMortem = readFileSync(state.postMortem!.url);
    expect(postMortem.toString()).toContain(incidentId);
    const sinks: Record<string, string | Buffer> = {
      'raw workflow history': history.raw,
      'raw workflow history (JSON)': history.rawJson,
      'decoded payloads': history.decoded,
      'Temporal SQLite files': temporalDatabase(),
      'worker logs and notifications': worker.output(),
      'ingress logs': ingress.logs.join('\n'),
      'post-mortem': postMortem,
      'incident result': JSON.stringify(state),
      'status query': JSON.stringify(await client.workflow.getHandle(incidentId).query(statusQuery)),
      'HTTP answer': answer,
      'vault files': Buffer.concat(vaultFiles),
    };
    expect(worker.output()).toContain('Activity failed'); // the failure was logged, so the log sink was exercised
    expect(Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets))).toEqual([]);
  } finally {
    hook.refuse = undefined;
    await ingress.close();
    await worker.kill();
    sm.destroy();
  }
});
