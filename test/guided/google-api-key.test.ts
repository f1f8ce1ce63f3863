import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor, secretId } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import type { IncidentControl } from '../../triggers/control';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { awsConfig, controlFor, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { truffleHogLine } from '../webhooks/fixtures';
import { signedGeneric, startIngress, type Ingress } from '../webhooks/harness';
import { FakeIssuer, googleApiKey } from './issuer';

// The guided runbook, end to end: a verified TruffleHog finding of a Google API key reaches the real
// ingress; the incident shows a person how to contain it at Google and waits; the person confirms; it
// asks for the replacement, refuses the wrong ones before writing anything, takes the right one into
// every consumer, redeploys, verifies through the inventory's probe (the new key works, the leaked one
// is refused), asks for the deletion, and writes the post-mortem.

let client: Client;
const issuer = new FakeIssuer();
const hook = new DeployHookServer();
useTemporal((c) => (client = c), issuer, hook);

const TAG = `guided-${randomUUID().slice(0, 8)}`;
const GENERIC = `generic-hook-${randomUUID()}`;
const sm = new SecretsManagerClient(awsConfig());
let worker: Awaited<ReturnType<typeof startWorker>>;
let ingress: Ingress;
let control: IncidentControl;
let vault: LocalFileVault;

const leaked = googleApiKey();
const replacement = googleApiKey();
const incidentId = incidentIdFor('guided', `google-api-key:${secretId(leaked)}`);
let reply: { status: number; body: any };
let atContain: IncidentState;
let atRegenerate: IncidentState;
let atRevoke: IncidentState;
let refusedTwice: IncidentState;
let final: IncidentState;

beforeAll(async () => {
  issuer.issue(leaked);
  const taskQueue = uniqueQueue('guided');
  const inventory = `
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  web-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
providers:
  guided:
    credentials:
      maps-frontend:
        secrets: [${secretId(leaked)}]
        probe: { url: "${issuer.url}/maps/api/geocode/json?address=Berlin", credentialIn: { query: key } }
credentials:
  - provider: guided
    owner: maps-frontend
    consumers:
      - { name: web, store: prod-sm, key: "${TAG}/web/maps-key", field: value, deploy: web-hook }
      - { name: api, store: prod-sm, key: "${TAG}/api/env", field: json }
`;
  worker = await startWorker({ taskQueue, inventory });
  vault = new LocalFileVault(path.join(worker.dataDir, 'vault'));
  control = controlFor(client, taskQueue);
  ingress = await startIngress({ client, taskQueue, control, env: { LEAKSTOP_DATA_DIR: worker.dataDir, LEAKSTOP_GENERIC_WEBHOOK_SECRET: GENERIC } });

  const body = `${truffleHogLine({ raw: leaked, detector: 'GoogleApiKey', type: 71, file: 'web/src/maps.ts', line: 3 })}\n`;
  const res = await fetch(ingress.url('/webhooks/generic'), { method: 'POST', body, headers: signedGeneric(body, { secret: GENERIC, contentType: 'application/x-ndjson' }) });
  reply = { status: res.status, body: await res.json() };

  // A person revokes the key in Google's console, then says so.
  atContain = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'contain') && !!s.blastRadius);
  issuer.revoke(leaked);
  await control.done(incidentId, { by: 'erin', note: 'deleted in the console' });

  // The replacement: first the leaked key again, then a key Google does not accept, then the real one.
  atRegenerate = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'regenerate'));
  const register = async (value: string) => control.done(incidentId, { by: 'erin', credential: await keepSecret(vault, 'new', 'guided', value) });
  const refusals = (s: IncidentState) => s.timeline.filter((t) => t.event.includes('the replacement was refused')).length;
  await register(leaked);
  await waitForState(client, incidentId, (s) => refusals(s) === 1 && s.waiting.some((w) => w.phase === 'regenerate'));
  await register(googleApiKey());
  refusedTwice = await waitForState(client, incidentId, (s) => refusals(s) === 2 && s.waiting.some((w) => w.phase === 'regenerate'));
  issuer.issue(replacement);
  await register(replacement);

  atRevoke = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'revoke'), 60_000);
  await control.done(incidentId, { by: 'erin' });
  final = await client.workflow.getHandle(incidentId).result();
});

afterAll(async () => {
  await client.workflow.getHandle(incidentId).terminate('test over').catch(() => undefined);
  await ingress?.close();
  await worker?.stop();
  sm.destroy();
});

test('the finding opens a guided incident named by the key type and a hash of the value, acted on at once (TruffleHog verified it)', () => {
  expect(reply).toEqual({ status: 202, body: { incidents: [{ index: 0, incidentId, joined: false }] } });
  expect(atContain.input).toMatchObject({ provider: 'guided', credentialId: `google-api-key:${secretId(leaked)}` });
  expect(atContain.trust?.origin).toMatchObject({ source: 'trufflehog', trust: 'authoritative', sealed: true });
  expect(atContain.identification).toMatchObject({ owner: 'maps-frontend', status: 'active' });
});

test('containment is a person’s: the step shows where to revoke a Google API key and waits; the blast radius names the issuer and what the probe saw', () => {
  const waiting = atContain.waiting.find((w) => w.phase === 'contain')!;
  expect(waiting).toMatchObject({ kind: 'manual', step: 'revoke at the issuer', options: ['done', 'abort'] });
  expect(waiting.reason).toContain('APIs & Services → Credentials');
  expect(waiting.reason).toContain('https://cloud.google.com/docs/authentication/api-keys');
  expect(waiting.reason).toContain(`leakstop incident done ${incidentId}`);
  expect(atContain.containment).toBeUndefined();
  expect(atContain.blastRadius?.facts).toMatchObject({ credential: 'Google API key', issuer: 'Google Cloud', inventoryName: 'maps-frontend', probe: { answer: 'valid' } });
  expect(atRegenerate.containment?.summary).toBe('erin confirmed it is done at the issuer (deleted in the console)');
  expect(atRegenerate.timeToContainMs).toBeGreaterThan(0);
});

test('a replacement that is the leaked key or that Google refuses is turned down before it is written anywhere', async () => {
  const refused = refusedTwice.timeline.filter((t) => t.event.includes('the replacement was refused')).map((t) => t.event);
  expect(refused[0]).toContain('is the leaked Google API key');
  expect(refused[1]).toContain('refuses the replacement Google API key');
  expect(refusedTwice.storeWrites).toEqual([]);
  expect(atRegenerate.waiting.find((w) => w.phase === 'regenerate')!.reason).toContain('Create credentials → API key');
});

test('the replacement reaches every consumer once, the web app is redeployed, and the probe proves new works and leaked is refused', async () => {
  expect(final.status).toBe('completed');
  expect(final.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
  const value = async (key: string) => (await sm.send(new GetSecretValueCommand({ SecretId: `${TAG}/${key}` }))).SecretString;
  expect(await value('web/maps-key')).toBe(replacement);
  expect(JSON.parse((await value('api/env'))!)).toEqual({ GOOGLE_API_KEY: replacement });
  for (const key of ['web/maps-key', 'api/env']) {
    expect((await sm.send(new ListSecretVersionIdsCommand({ SecretId: `${TAG}/${key}` }))).Versions).toHaveLength(1);
  }
  expect([...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId))).toHaveLength(1);
  expect(final.newCredential?.id).toBe(secretId(replacement));
  expect(final.verification).toMatchObject({ newWorks: true, oldDisabled: true });
  expect(final.verification?.detail).toContain(`the new value's fingerprint is ${secretId(replacement)}`);
});

test('the deletion is a person’s step too, and the post-mortem tells the whole story without the key', () => {
  const waiting = atRevoke.waiting.find((w) => w.phase === 'revoke')!;
  expect(waiting).toMatchObject({ kind: 'manual', step: 'delete at the issuer' });
  expect(waiting.reason).toContain('Delete the leaked key');
  expect(final.revocation?.summary).toBe('erin confirmed it is done at the issuer');
  const report = readFileSync(path.join(worker.dataDir, 'reports', `${incidentId}.md`), 'utf8');
  expect(report).toContain('Google API key');
  expect(report).toContain('maps-frontend');
  for (const secret of [leaked, replacement]) {
    expect(report).not.toContain(secret);
    expect(JSON.stringify(final)).not.toContain(secret);
  }
});
