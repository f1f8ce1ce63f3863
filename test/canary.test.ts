import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { temporal } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../domain/incident';
import { redact, registerSecret } from '../domain/redact';
import { codecServer } from '../triggers/codec-server';
import { createIngress } from '../triggers/http';
import { AesGcmCodec } from '../worker/codec';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { statusQuery } from '../workflows/definitions';
import { collectPayloads, findLeaks, forms, payloadJson, temporalDatabase } from './support/canary';
import { controlFor, awsConfig, codecKeys, leakedKey, scratchDir, testEnv, uniqueQueue, useTemporal } from './support/env';
import { leakInput, standardInventory, waitForState } from './support/fixtures';
import { spawnWorker } from './support/worker-child';

// The leak canary: a full incident with known secret values, then every sink Leakstop writes to is
// read raw. Not one secret may appear, in plain text, base64 or URL-encoded form.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test('the canary finds a planted secret in every form it checks, and redaction removes it', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARY0001';
  const planted = [
    `log line ${secret}`,
    JSON.stringify({ data: Buffer.from(`{"k":"${secret}"}`).toString('base64') }),
    Buffer.from(`xx${secret}`).toString('base64url'),
    `?q=${encodeURIComponent(secret)}`,
    Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(secret)]),
  ];
  for (const sink of planted) expect(findLeaks('planted', sink, { secret })).not.toEqual([]);
  expect(findLeaks('clean', 'nothing here', { secret })).toEqual([]);

  registerSecret(secret);
  for (const text of [`a ${secret} b`, `a ${Buffer.from(secret).toString('base64')} b`, `a ${encodeURIComponent(secret)} b`]) {
    expect(findLeaks('redacted', redact(text), { secret })).toEqual([]);
  }
  expect(forms(secret).length).toBeGreaterThan(4);
});

test('a full incident leaves no secret in history, the Temporal database, logs, notifications, reports or HTTP responses', async () => {
  const leak = await leakedKey('canary');
  const taskQueue = uniqueQueue('canary');
  const dataDir = scratchDir('canary');
  const sm = new SecretsManagerClient(awsConfig());
  const secretId = `${leak.user}/api/aws`;
  // A hostile deploy hook: its first answer echoes the new secret back in an error body, which then
  // travels through an activity failure, the waiting reason, Temporal's logs and the post-mortem.
  let echoed = 0;
  hook.refuse = async ({ idempotencyKey }) => {
    if (echoed > 0 || !idempotencyKey.includes(':api')) return undefined;
    echoed++;
    const value = (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!;
    return { status: 400, body: `rejected config ${value} (${encodeURIComponent(value)})` };
  };
  const worker = await spawnWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url }), dataDir });
  const control = controlFor(client, taskQueue);
  const responses: string[] = [];
  try {
    const { incidentId } = await control.report(leakInput(leak.keyId, { exposure: { source: 'cli', public: true, notes: 'canary' } }), 'authoritative');
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting');
    expect(echoed).toBe(1);
    expect(waiting.waiting[0]!.reason).toContain('[redacted]');
    await control.decide(incidentId, { decision: 'retry', by: 'canary' });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(state.status).toBe('completed');

    const fresh = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!);
    const secrets = {
      'leaked secret': leak.secret,
      'new secret': fresh.AWS_SECRET_ACCESS_KEY as string,
      "Leakstop's own AWS secret": testEnv().admin.secretAccessKey,
      'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!,
    };

    // Workflow history straight from the server, without the codec; every payload is encrypted.
    const raw = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: incidentId } });
    const rawBytes = Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(raw).finish());
    const payloads = collectPayloads(raw);
    expect(payloads.length).toBeGreaterThan(20);
    for (const p of payloads) expect(Buffer.from(p.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    // And what a person with the codec sees: decrypted, still no secret.
    const decoded = await new AesGcmCodec(codecKeys()).decode(payloads);
    const decodedText = decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(decodedText).toContain(incidentId);

    // The HTTP surface: health, a 404, and the codec server's decode of this history.
    const server = createIngress({ healthy: () => true, routes: [codecServer({ codec: new AesGcmCodec(codecKeys()), tokens: ['t'], origins: [] })] });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const [url, init] of [
        [`${base}/healthz`, {}],
        [`${base}/nope?${encodeURIComponent(leak.keyId)}`, {}],
        [`${base}/codec/decode`, { method: 'POST', headers: { authorization: 'Bearer t' }, body: JSON.stringify({ payloads: payloads.slice(0, 40).map(payloadJson) }) }],
      ] as const) {
        const res = await fetch(url, init as RequestInit);
        responses.push(`${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
      }
    } finally {
      server.close();
    }

    // SQLite's journal files come and go while the server runs: temporalDatabase() reads what is there.
    const vaultFiles = readdirSync(path.join(dataDir, 'vault')).map((f) => readFileSync(path.join(dataDir, 'vault', f)));
    const sinks: Record<string, string | Buffer> = {
      'raw workflow history': rawBytes,
      'raw workflow history (JSON)': JSON.stringify(raw),
      'decoded payloads': decodedText,
      'Temporal SQLite files': temporalDatabase(),
      'worker logs and notifications': worker.output(),
      'post-mortem': readFileSync(state.postMortem!.url),
      'incident result': JSON.stringify(state),
      'status query': JSON.stringify(await client.workflow.getHandle(incidentId).query(statusQuery)),
      'HTTP responses': responses.join('\n'),
      'vault files': Buffer.concat(vaultFiles),
    };
    expect(worker.output()).toContain('Activity failed'); // the failure was logged, so the log sink was exercised
    const leaks = Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets));
    expect(leaks).toEqual([]);
  } finally {
    hook.refuse = undefined;
    await worker.kill();
  }
});
