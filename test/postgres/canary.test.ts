import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { canonical } from '../../providers/postgres/connection-string';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { statusQuery } from '../../workflows/definitions';
import { filesUnder, findLeaks, historySinks, payloadJson, temporalDatabase } from '../support/canary';
import { awsConfig, controlFor, scratchDir, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { spawnWorker } from '../support/worker-child';
import { truffleHogLine } from '../webhooks/fixtures';
import { signedGeneric, startIngress } from '../webhooks/harness';
import { APP_HOST, connectAs, exportAdminPassword, makeRole, pgServer, postgresSection } from './harness';

// The leak canary for PostgreSQL incidents (as test/canary.test.ts does for AWS): a leaked connection
// string reaches the real ingress as a TruffleHog finding, a worker process contains and rotates the role
// while an attacker's session is live, and a hostile deploy hook echoes the new connection URL back in an
// error. Then every sink is read raw: no password (leaked or new), no connection string, in any encoding.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const GENERIC_SECRET = `generic-hook-${randomUUID()}`;
const CODEC_TOKEN = `codec-${randomUUID()}`;

test('a PostgreSQL incident leaves no password or connection string in history, the Temporal database, logs, the post-mortem, HTTP answers, the vault or the server log', async () => {
  exportAdminPassword();
  const r = await makeRole('canary');
  const attacker = await connectAs(r.role, r.password, 'attacker');
  const tag = `pg-canary-${randomUUID().slice(0, 8)}`;
  const secretId = `${tag}/api/db`;
  const sm = new SecretsManagerClient(awsConfig());
  let echoed = 0;
  hook.refuse = async ({ idempotencyKey }) => {
    if (echoed > 0 || !idempotencyKey.includes(':api')) return undefined;
    echoed++;
    const value = (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!;
    return { status: 400, body: `rejected config ${value} (${encodeURIComponent(value)}) password=${new URL(value).password}` };
  };
  const inventory = `
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  api-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 50ms }
credentials:
  - { provider: postgres, owner: "${r.role}@main", consumers: [{ name: api, store: prod-sm, key: "${secretId}", field: url, deploy: api-hook }] }
${postgresSection()}`;
  const taskQueue = uniqueQueue('pg-canary');
  const dataDir = scratchDir('pg-canary');
  const worker = await spawnWorker({ taskQueue, inventory, dataDir });
  const control = controlFor(client, taskQueue);
  const ingress = await startIngress({ client, taskQueue, control, env: { LEAKSTOP_DATA_DIR: dataDir, LEAKSTOP_GENERIC_WEBHOOK_SECRET: GENERIC_SECRET, LEAKSTOP_CODEC_TOKENS: CODEC_TOKEN } });
  const responses: string[] = [];
  const send = async (route: string, init: RequestInit = {}) => {
    const res = await fetch(ingress.url(route), init);
    const text = await res.text();
    responses.push(`${route} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : {} };
  };
  try {
    const raw = `postgresql://${r.role}:${r.password}@${APP_HOST}:${pgServer().port}`;
    const body = `${JSON.stringify({ ...JSON.parse(truffleHogLine({ raw, detector: 'Postgres', type: 968 })), RawV2: raw, Redacted: '' })}\n`;
    const reply = await send('/webhooks/generic', { method: 'POST', body, headers: signedGeneric(body, { secret: GENERIC_SECRET, contentType: 'application/x-ndjson' }) });
    expect(reply.status).toBe(202);
    const incidentId: string = reply.body.incidents[0].incidentId;
    const waiting = await waitForState(client, incidentId, (s) => s.status === 'waiting');
    expect(echoed).toBe(1);
    expect(waiting.waiting[0]!.reason).toContain('[redacted]');
    await control.decide(incidentId, { decision: 'retry', by: 'canary' });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(state.status).toBe('completed');
    await expect(attacker.query('SELECT 1')).rejects.toThrow();

    const stored = (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!;
    const newPassword = new URL(stored).password;
    expect(newPassword).toMatch(/^[A-Za-z0-9]{32}$/);
    const secrets = {
      'leaked password': r.password,
      'leaked connection string': canonical(r.credential),
      'leaked URL as written': r.url,
      'new password': newPassword,
      'new connection URL': stored,
      "Leakstop's PostgreSQL admin password": pgServer().admin.password,
      'PostgreSQL superuser password': pgServer().password,
      "Leakstop's own AWS secret": testEnv().admin.secretAccessKey,
      'generic webhook secret': GENERIC_SECRET,
      'codec token': CODEC_TOKEN,
      'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!,
    };

    const history = await historySinks(client, incidentId);
    expect(history.payloads.length).toBeGreaterThan(20);
    for (const p of history.payloads) expect(Buffer.from(p.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(history.decoded).toContain(incidentId);
    const decoded = await send('/codec/decode', { method: 'POST', headers: { authorization: `Bearer ${CODEC_TOKEN}` }, body: JSON.stringify({ payloads: history.payloads.map(payloadJson) }) });
    expect(decoded.status).toBe(200);
    await send('/healthz');
    await send(`/nope?${encodeURIComponent(incidentId)}`);

    const postMortem = readFileSync(state.postMortem!.url, 'utf8');
    expect(postMortem).toContain('(attacker)'); // the blast radius was written, sessions and all
    const sinks: Record<string, string | Buffer> = {
      'raw workflow history': history.raw,
      'raw workflow history (JSON)': history.rawJson,
      'decoded payloads': history.decoded,
      'Temporal database': temporalDatabase(),
      'worker logs and notifications': worker.output(),
      'ingress log': ingress.logs.join('\n'),
      'ingress HTTP answers': responses.join('\n'),
      'post-mortem': postMortem,
      'incident result': JSON.stringify(state),
      'status query': JSON.stringify(await client.workflow.getHandle(incidentId).query(statusQuery)),
    };
    for (const [file, bytes] of Object.entries(filesUnder(dataDir))) sinks[`data folder: ${file}`] = bytes;
    expect(worker.output()).toContain('Activity failed'); // the hook's echo went through an activity failure and the log
    expect(Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets))).toEqual([]);

    // The server logs every DDL statement (log_statement=ddl): Leakstop's ALTER ROLE carried a SCRAM verifier, never the password.
    const serverLog = readFileSync(pgServer().logFile, 'utf8');
    expect(serverLog).toMatch(new RegExp(`ALTER ROLE "${r.role}" WITH LOGIN PASSWORD 'SCRAM-SHA-256\\$4096:`));
    expect(findLeaks('PostgreSQL server log', serverLog, { 'new password': newPassword, 'new connection URL': stored })).toEqual([]);
  } finally {
    hook.refuse = undefined;
    await attacker.end().catch(() => undefined);
    await ingress.close();
    await worker.kill();
    sm.destroy();
  }
});
