import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor, secretId } from '../../domain/fingerprint';
import { leakedHandle } from '../../domain/handles';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import type { IncidentControl } from '../../triggers/control';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { awsConfig, controlFor, RecordingNotifier, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { truffleHogLine } from '../webhooks/fixtures';
import { signedGeneric, startIngress, type Ingress } from '../webhooks/harness';
import { configurePassword, createToken, newAccount, refusedAt, registry, tokensOf, whoami, type Account } from './harness';

// An npm token from a TruffleHog line to the post-mortem, against the real registry: the finding is
// POSTed, signed, to the real ingress (the generic webhook), which keeps the token in the worker's vault
// and reports it; the real worker identifies it (whoami, the token list), revokes it at once (a verified
// finding is authoritative), makes a new token with the account's password (or waits for a person's),
// writes it to AWS Secrets Manager on moto, redeploys through the deploy hook, verifies both tokens with
// whoami, revokes, and writes the post-mortem. The time to contain is measured from the webhook's
// arrival to the registry refusing the leaked token.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const GENERIC_SECRET = `generic-hook-${randomUUID()}`;
const TAG = `npm-e2e-${randomUUID().slice(0, 8)}`;
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
const sm = new SecretsManagerClient(awsConfig());

let worker: Awaited<ReturnType<typeof startWorker>>;
let ingress: Ingress;
let control: IncidentControl;
const notifier = new RecordingNotifier();
let automatic: Account;
let byHand: Account;
/** Time to contain per incident: webhook sent → registry refuses the leaked token (and the workflow's own figure). */
const ttc: Record<string, { webhookToRefusedMs: number; workflowTimeToContainMs?: number }> = {};

beforeAll(async () => {
  automatic = await newAccount('e2e-auto');
  byHand = await newAccount('e2e-manual');
  configurePassword(automatic); // byHand's password stays with its owner
  const taskQueue = uniqueQueue('npm-e2e');
  const consumer = (name: string, deploy: boolean) => `{ name: ${name}, store: prod-sm, key: "${TAG}/${name}", field: token${deploy ? ', deploy: ci-hook' : ''} }`;
  const inventory = `
providers:
  npm:
    registry: "${registry()}"
    accounts:
      ${automatic.user}: { passwordEnv: ${automatic.passwordEnv} }
stores:
  prod-sm: { kind: aws-secrets-manager }
deployers:
  ci-hook: { kind: http-hook, url: "${hook.url}", pollInterval: 100ms }
credentials:
  - { provider: npm-token, owner: ${automatic.user}, consumers: [${consumer('publish', true)}] }
  - { provider: npm-token, owner: ${byHand.user}, consumers: [${consumer('docs', false)}] }
`;
  worker = await startWorker({ taskQueue, inventory, notifier });
  control = controlFor(client, taskQueue);
  ingress = await startIngress({ client, taskQueue, control, env: { LEAKSTOP_DATA_DIR: worker.dataDir, LEAKSTOP_GENERIC_WEBHOOK_SECRET: GENERIC_SECRET } });
});

afterAll(async () => {
  if (Object.keys(ttc).length) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const what = 'time to contain an npm token: a signed TruffleHog NpmToken finding POSTed to the ingress → the registry (Verdaccio 6.8.0 on loopback) refuses the leaked token on whoami (polled every 5 ms)';
    // The load says how busy the machine was (other test files run beside this one): the figures move with it.
    const machine = { cores: cpus().length, loadAverage1m: Number(loadavg()[0]!.toFixed(2)) };
    writeFileSync(path.join(ARTIFACTS, 'ttc-npm.json'), `${JSON.stringify({ what, measuredAt: new Date().toISOString(), machine, incidents: ttc }, null, 2)}\n`);
  }
  await ingress?.close();
  await worker?.stop();
  sm.destroy();
});

/** `trufflehog … --json` output with a verified NpmToken finding (detector 49), signed for the generic webhook. */
async function reportFinding(token: string): Promise<{ status: number; body: Record<string, any> }> {
  const finding = { ...JSON.parse(truffleHogLine({ raw: token, detector: 'NpmToken', type: 49, file: '.npmrc', line: 2 })), RawV2: token, Redacted: '', ExtraData: { rotation_guide: 'https://howtorotate.com/docs/tutorials/npm/' } };
  const body = `${JSON.stringify(finding)}\n`;
  const res = await fetch(ingress.url('/webhooks/generic'), { method: 'POST', body, headers: signedGeneric(body, { secret: GENERIC_SECRET, contentType: 'application/x-ndjson' }) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const stored = async (name: string) => (await sm.send(new GetSecretValueCommand({ SecretId: `${TAG}/${name}` }))).SecretString!;

test('a verified TruffleHog NpmToken finding: contained at once, a new token made with the same restrictions, propagated, redeployed, verified, revoked, post-mortem; time to contain measured', async () => {
  const leaked = await createToken(automatic, { readonly: false, cidr: ['127.0.0.1/32'] });
  const incidentId = incidentIdFor('npm-token', secretId(leaked.token));

  const arrived = Date.now();
  const [reply, refused] = await Promise.all([reportFinding(leaked.token), refusedAt(leaked.token)]);
  const timeToContainMs = refused - arrived;
  expect(reply).toEqual({ status: 202, body: { incidents: [{ index: 0, incidentId, joined: false }] } });

  const state: IncidentState = await client.workflow.getHandle(incidentId).result();
  expect(state.status).toBe('completed');
  expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
  expect(state.trust?.origin).toEqual({ source: 'trufflehog', trust: 'authoritative', sealed: true });
  expect(state.identification).toMatchObject({ owner: automatic.user, status: 'active' });
  expect(state.containment).toMatchObject({ changed: true });
  expect(state.verification).toMatchObject({ newWorks: true, newIdentity: automatic.user, oldDisabled: true });

  // The registry: the leaked token refused, exactly one token left on the account (the new one, same restrictions), in the consumer's store.
  const fresh = await stored('publish');
  expect(secretId(fresh)).toBe(state.newCredential?.id);
  expect(await whoami(fresh)).toEqual({ status: 200, username: automatic.user });
  expect((await whoami(leaked.token)).status).toBe(403);
  const left = await tokensOf(automatic);
  expect(left).toHaveLength(1);
  expect(left[0]).toMatchObject({ readonly: false, cidr: ['127.0.0.1/32'] });
  expect([...hook.deploys.values()].filter((d) => d.idempotencyKey.startsWith(incidentId))).toHaveLength(1);

  // The post-mortem names the account and the token's restrictions, never the token.
  const postMortem = readFileSync(state.postMortem!.url, 'utf8');
  expect(postMortem).toContain(incidentId);
  expect(postMortem).toContain(`- Account: ${automatic.user}`);
  expect(postMortem).toContain('- Restrictions: read and publish; only from 127\\.0.0.1/32');
  for (const secret of [leaked.token, fresh, automatic.password]) expect(postMortem).not.toContain(secret);
  // What the incident kept in the vault is gone.
  const vault = new LocalFileVault(path.join(worker.dataDir, 'vault'));
  expect(await vault.get(leakedHandle('npm-token', secretId(leaked.token)))).toBeUndefined();
  expect(await vault.get(`${leakedHandle('npm-token', secretId(leaked.token))}:npm-new`)).toBeUndefined();

  // Contained in the first response, before the rest of the runbook.
  expect(timeToContainMs).toBeGreaterThan(0);
  expect(timeToContainMs).toBeLessThan(10_000);
  expect(refused).toBeLessThan(Date.parse(state.actions.find((a) => a.phase === 'regenerate')!.at));
  ttc['first incident of a fresh worker'] = { webhookToRefusedMs: timeToContainMs, workflowTimeToContainMs: state.timeToContainMs };
});

test('without the account password: contained at once, then a person registers a replacement, which whoami checks before it is propagated', async () => {
  const leaked = await createToken(byHand, { readonly: false });
  const incidentId = incidentIdFor('npm-token', secretId(leaked.token));
  const arrived = Date.now();
  const [reply, refused] = await Promise.all([reportFinding(leaked.token), refusedAt(leaked.token)]);
  expect(reply.status).toBe(202);

  const waiting = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'regenerate'), 60_000);
  expect(waiting.identification).toMatchObject({ owner: byHand.user });
  expect(waiting.containment).toMatchObject({ changed: true });
  expect((await whoami(leaked.token)).status).toBe(403);
  const step = waiting.waiting.find((w) => w.kind === 'manual')!;
  expect(JSON.stringify(step)).toContain(`npm user ${byHand.user}`);

  // The person makes a token (they hold the password) and registers it as `leakstop incident done --credential-file` does.
  const replacement = await createToken(byHand);
  const kept = await keepSecret(new LocalFileVault(path.join(worker.dataDir, 'vault')), 'new', 'npm-token', replacement.token);
  await control.done(incidentId, { by: 'dana', credential: kept });
  const state: IncidentState = await client.workflow.getHandle(incidentId).result();
  expect(state.status).toBe('completed');
  expect(state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
  expect(state.verification).toMatchObject({ newWorks: true, newIdentity: byHand.user, oldDisabled: true });
  expect(await stored('docs')).toBe(replacement.token);
  expect((await tokensOf(byHand)).map((t) => t.key)).toEqual([replacement.key]);
  ttc['second incident (warm worker)'] = { webhookToRefusedMs: refused - arrived, workflowTimeToContainMs: state.timeToContainMs };
});
