import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor, secretId } from '../../domain/fingerprint';
import { leakedHandle } from '../../domain/handles';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import type { IncidentControl } from '../../triggers/control';
import { FakeGitHub } from '../github/server';
import { classicToken } from '../github/tokens';
import { filesUnder, payloadJson, historySinks, temporalDatabase } from '../support/canary';
import { awsConfig, controlFor, RecordingNotifier, startWorker, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { SlackApiServer, type Installation, type TokenState } from '../slack/slack-api-server';
import { githubAlertEvent, truffleHogLine } from '../webhooks/fixtures';
import { signedGeneric, signedGitHub, startIngress, type Ingress } from '../webhooks/harness';
import { expectNoLeaks, incidentSinks, slackSecrets, vaultEntries, vaultFiles, withSlackEnv } from './harness';

// The triggers that recognise a Slack token, end to end: the whole ingress (worker/ingress.ts, configured
// by its environment) keeps the token it received in the worker's vault and reports it sealed through the
// real IncidentControl; the real worker (Slack configured through the environment) identifies it with the
// local Slack and revokes it at once, since both sources are authoritative. A person then registers the
// replacement, so each incident ends, its vault entries go, and (for GitHub) the alert is closed as
// revoked. Then the canary, which here also reads the ingress's HTTP answers and its log.

let client: Client;
const slack = new SlackApiServer();
const github = new FakeGitHub(); // its stop() throws if any response broke GitHub's OpenAPI description
useTemporal((c) => (client = c), slack, github);

const REPO = 'Codertocat/Hello-World'; // the repository of @octokit/webhooks-examples' bodies
const SERVICE_TOKEN = classicToken(); // Leakstop's own GitHub token: reads alerts, closes them
const SECRETS = { github: `gh-hook-${randomUUID()}`, generic: `generic-hook-${randomUUID()}`, codec: `codec-${randomUUID()}` };
const TAG = `slack-triggers-${randomUUID().slice(0, 8)}`;
const sm = new SecretsManagerClient(awsConfig());

interface Run {
  incidentId: string;
  leaked: string;
  replacement: string;
  /** The ingress's answer to the delivery. */
  reply: { status: number; body: Record<string, any> };
  /** The incident as it stood when it waited for the replacement, and what Slack then said of the leaked token. */
  waiting: IncidentState;
  leakedWhileWaiting?: TokenState;
  /** The leaked token was in the worker's vault, under the handle derived from it, while the incident ran. */
  keptInVault: boolean;
  state: IncidentState;
  stored: string;
}

let worker: Awaited<ReturnType<typeof startWorker>>;
let ingress: Ingress;
let vault: LocalFileVault;
let control: IncidentControl;
const notifier = new RecordingNotifier();
/** Every HTTP answer of the ingress in this file: status, headers and body. */
const responses: string[] = [];
const vaultWhileOpen: Buffer[] = [];
const installs = {} as Record<'truffleHog' | 'github', Installation>;
const runs = {} as Record<'truffleHog' | 'github', PromiseSettledResult<Run>>;
let alertNumber: number;

beforeAll(async () => {
  github.addToken(SERVICE_TOKEN, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'security_events'] });
  installs.truffleHog = slack.installation({ team: 'Acme', user: 'ci-bot', bot_id: 'B0CIBOT' });
  installs.github = slack.installation({ team: 'Acme', user: 'carol' });
  const taskQueue = uniqueQueue('slack-triggers');
  const consumer = (name: string) => `{ name: ${name}, store: prod-sm, key: "${TAG}/${name}", field: token }`;
  const inventory = `
stores:
  prod-sm: { kind: aws-secrets-manager }
credentials:
  - { provider: slack-token, owner: "${owner(installs.truffleHog)}", consumers: [${consumer('ci')}] }
  - { provider: slack-token, owner: "${owner(installs.github)}", consumers: [${consumer('carol')}] }
`;
  worker = await withSlackEnv({ LEAKSTOP_SLACK_API_URL: slack.apiUrl }, () => startWorker({ taskQueue, inventory, notifier, github: { baseUrl: github.url, token: SERVICE_TOKEN } }));
  vault = new LocalFileVault(path.join(worker.dataDir, 'vault'));
  control = controlFor(client, taskQueue);
  ingress = await startIngress({
    client,
    taskQueue,
    control,
    env: {
      LEAKSTOP_DATA_DIR: worker.dataDir,
      LEAKSTOP_GENERIC_WEBHOOK_SECRET: SECRETS.generic,
      LEAKSTOP_GITHUB_WEBHOOK_SECRETS: SECRETS.github,
      LEAKSTOP_GITHUB_API_URL: github.url,
      LEAKSTOP_GITHUB_TOKEN: SERVICE_TOKEN,
      LEAKSTOP_CODEC_TOKENS: SECRETS.codec,
    },
  });

  const settled = await Promise.allSettled([truffleHogIncident(), githubIncident()]);
  runs.truffleHog = settled[0];
  runs.github = settled[1];
});

afterAll(async () => {
  for (const r of Object.values(runs)) if (r?.status === 'fulfilled') await client.workflow.getHandle(r.value.incidentId).terminate('test over').catch(() => undefined);
  await ingress?.close();
  await worker?.stop();
  sm.destroy();
});

const owner = (i: Installation) => `${i.team_id}/${i.user_id}`;

function run(which: 'truffleHog' | 'github'): Run {
  const r = runs[which];
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** Any request to the ingress; its whole answer is kept for the canary. */
async function send(route: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(ingress.url(route), init);
  const text = await res.text();
  responses.push(`${route} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : {} };
}

/** From the delivery to the end: contained at once, then a person registers the replacement. */
async function followIncident(incidentId: string, leaked: string, reply: Run['reply'], makeReplacement: () => string, consumer: string): Promise<Run> {
  const waiting = await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.kind === 'manual' && w.phase === 'regenerate'));
  const leakedWhileWaiting = slack.tokenState(leaked);
  const keptInVault = (await vault.get(leakedHandle('slack-token', secretId(leaked))))?.secret === leaked;
  vaultWhileOpen.push(vaultFiles(worker.dataDir));
  const replacement = makeReplacement();
  const kept = await keepSecret(vault, 'new', 'slack-token', replacement);
  vaultWhileOpen.push(vaultFiles(worker.dataDir));
  await control.done(incidentId, { by: 'dave', credential: kept });
  const state: IncidentState = await client.workflow.getHandle(incidentId).result();
  const stored = (await sm.send(new GetSecretValueCommand({ SecretId: `${TAG}/${consumer}` }))).SecretString!;
  return { incidentId, leaked, replacement, reply, waiting, leakedWhileWaiting, keptInVault, state, stored };
}

/** `trufflehog git --json` output with a verified Slack finding (detector Slack, 13), signed for the generic webhook. */
async function truffleHogIncident(): Promise<Run> {
  const leaked = slack.issueToken('bot', installs.truffleHog);
  // What TruffleHog's Slack detector writes: the token as Raw, nothing in RawV2 or Redacted.
  const finding = { ...JSON.parse(truffleHogLine({ raw: leaked, detector: 'Slack', type: 13, file: 'ops/notify.sh', line: 4 })), RawV2: '', Redacted: '', ExtraData: { team: 'Acme' } };
  const body = `${JSON.stringify(finding)}\n`;
  const reply = await send('/webhooks/generic', { method: 'POST', body, headers: signedGeneric(body, { secret: SECRETS.generic, contentType: 'application/x-ndjson' }) });
  const incidentId = reply.body.incidents?.[0]?.incidentId;
  return followIncident(incidentId, leaked, reply, () => slack.issueToken('bot', installs.truffleHog), 'ci');
}

/** A GitHub secret scanning alert of type slack_api_token: the ingress reads the alert (and the token) back from GitHub. */
async function githubIncident(): Promise<Run> {
  const leaked = slack.issueToken('user', installs.github);
  alertNumber = github.seedAlert(REPO, { secret: leaked, secretType: 'slack_api_token', locations: [] });
  const body = JSON.stringify(githubAlertEvent({ number: alertNumber, secretType: 'slack_api_token' }));
  const reply = await send('/webhooks/github', { method: 'POST', body, headers: signedGitHub('secret_scanning_alert', body, SECRETS.github) });
  return followIncident(reply.body.incidentId, leaked, reply, () => slack.issueToken('user', installs.github), 'carol');
}

function expectIdentifiedAndContainedAtOnce(r: Run, who: string, source: string) {
  expect(r.waiting.input).toMatchObject({ provider: 'slack-token', credentialId: secretId(r.leaked) });
  expect(r.waiting.input.exposure.source).toBe(source);
  expect(r.waiting.trust?.origin).toEqual({ source, trust: 'authoritative', sealed: true });
  expect(r.waiting.identification).toMatchObject({ owner: who, status: 'active' });
  expect(r.waiting.containment).toMatchObject({ changed: true });
  expect(r.leakedWhileWaiting).toBe('token_revoked');
  expect(r.keptInVault).toBe(true);
}

function expectCompleted(r: Run, who: string) {
  expect(r.state.status).toBe('completed');
  expect(r.state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
  expect(r.state.newCredential?.id).toBe(secretId(r.replacement));
  expect(r.state.verification).toMatchObject({ newWorks: true, newIdentity: who, oldDisabled: true });
  expect(r.stored).toBe(r.replacement);
  expect(slack.tokenState(r.leaked)).toBe('token_revoked');
  expect(slack.tokenState(r.replacement)).toBe('live');
}

test('a verified TruffleHog Slack finding on the generic webhook: the token kept in the vault, the bot token identified and revoked at once, then replaced', async () => {
  const r = run('truffleHog');
  expect(r.leaked).toMatch(/^xoxb-/);
  const incidentId = incidentIdFor('slack-token', secretId(r.leaked));
  expect(r.reply).toEqual({ status: 202, body: { incidents: [{ index: 0, incidentId, joined: false }] } });
  expect(r.incidentId).toBe(incidentId);
  expectIdentifiedAndContainedAtOnce(r, owner(installs.truffleHog), 'trufflehog');
  expect(r.waiting.input.exposure).toMatchObject({ repository: 'https://github.com/acme/api.git', path: 'ops/notify.sh', line: 4, notes: 'TruffleHog Slack finding, verified live' });
  expectCompleted(r, owner(installs.truffleHog));
});

test('a GitHub slack_api_token alert: read back from GitHub, the user token identified and revoked at once, then replaced, and the alert closed as revoked', async () => {
  const r = run('github');
  expect(r.leaked).toMatch(/^xoxp-/);
  const incidentId = incidentIdFor('slack-token', secretId(r.leaked));
  expect(r.reply).toEqual({ status: 202, body: { incidentId, joined: false } });
  expect(r.incidentId).toBe(incidentId);
  expectIdentifiedAndContainedAtOnce(r, owner(installs.github), 'github-secret-scanning');
  expect(r.waiting.input.exposure).toMatchObject({ repository: REPO, alert: { repository: REPO, number: alertNumber } });
  expectCompleted(r, owner(installs.github));
  expect(github.alert(REPO, alertNumber)).toMatchObject({ state: 'resolved', resolution: 'revoked' });
});

test('canary: no Slack token of these incidents in history raw or decoded, results, notifications, post-mortems, the ingress answers and log, the vault, the data folder or the Temporal database', async () => {
  const all = [run('truffleHog'), run('github')];
  const secrets = slackSecrets(slack, {
    "Leakstop's GitHub token": SERVICE_TOKEN,
    'GitHub webhook secret': SECRETS.github,
    'generic webhook secret': SECRETS.generic,
    'codec token': SECRETS.codec,
    "Leakstop's own AWS secret": testEnv().admin.secretAccessKey,
    'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!,
  });
  for (const r of all) expect(Object.values(secrets)).toEqual(expect.arrayContaining([r.leaked, r.replacement]));

  const sinks: Record<string, string | Buffer> = {};
  for (const r of all) {
    Object.assign(sinks, await incidentSinks(client, r.incidentId));
    // The ingress's codec server decodes the incident's history for whoever holds a codec token (the UI).
    const { payloads } = await historySinks(client, r.incidentId);
    const decoded = await send('/codec/decode', { method: 'POST', headers: { authorization: `Bearer ${SECRETS.codec}` }, body: JSON.stringify({ payloads: payloads.map(payloadJson) }) });
    expect(decoded.status).toBe(200);
    const texts = (decoded.body.payloads as { data: string }[]).map((p) => Buffer.from(p.data, 'base64').toString('utf8'));
    expect(texts.join('\n')).toContain(r.incidentId);
  }
  await send('/healthz');
  await send(`/nope?token=${encodeURIComponent(all[0]!.incidentId)}`);
  sinks['ingress HTTP answers'] = responses.join('\n');
  expect(ingress.logs.join('\n')).toContain(all[0]!.incidentId); // the ingress logged the deliveries it handled
  sinks['ingress log'] = ingress.logs.join('\n');
  for (const r of all) expect(notifier.events.filter((e) => e.incidentId === r.incidentId).map((e) => e.kind)).toContain('finished');
  sinks.notifications = JSON.stringify(notifier.events);
  sinks['GitHub alert as Leakstop closed it'] = JSON.stringify(github.alert(REPO, alertNumber)?.resolutionComment ?? null);
  expect(vaultWhileOpen.length).toBe(4);
  sinks['vault files while incidents held tokens'] = Buffer.concat(vaultWhileOpen);
  for (const [file, bytes] of Object.entries(filesUnder(worker.dataDir))) sinks[`data folder: ${file}`] = bytes;
  sinks['Temporal database'] = temporalDatabase();
  expectNoLeaks(sinks, secrets);

  expect(vaultEntries(worker.dataDir)).toEqual([]);
});
