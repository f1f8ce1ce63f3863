import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import { incidentIdFor, secretId } from '../../domain/fingerprint';
import { leakedHandle } from '../../domain/handles';
import type { IncidentState, Waiting } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { webhookIds } from '../../providers/slack-token/token-format';
import { keepSecret } from '../../triggers/keep-secret';
import type { IncidentControl } from '../../triggers/control';
import { filesUnder, findLeaks, temporalDatabase } from '../support/canary';
import { awsConfig, controlFor, scratchDir, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { report, waitForState } from '../support/fixtures';
import { spawnWorker } from '../support/worker-child';
import { SlackApiServer, type Installation, type TokenState } from '../slack/slack-api-server';
import { expectNoLeaks, incidentSinks, slackSecrets, vaultEntries, vaultFiles, withSlackEnv } from './harness';

// Every kind of Slack credential through a full incident on one real worker (a child process, so its log
// output is read too), configured through the environment as an operator does, against the local Slack
// Web API, with an AWS Secrets Manager consumer on moto. Each leak is reported as a trigger reports it
// (the token into the worker's vault, its hash to an authoritative report), the incidents run side by
// side, and where Slack has no API a person does the step as people do (done with a replacement put in
// the vault, or skip). The rotating bot token's incident is test/slack-token/incident.test.ts.
// Then the canary: no token of this file, leaked or replacement, in any form, in any sink.

let client: Client;
const slack = new SlackApiServer();
useTemporal((c) => (client = c), slack);

const TAG = `slack-kinds-${randomUUID().slice(0, 8)}`;
const PERSON = 'alice';
const sm = new SecretsManagerClient(awsConfig());

type Kind = 'bot' | 'user' | 'rotating user' | 'refresh' | 'app-level' | 'incoming webhook';

interface Run {
  incidentId: string;
  leaked: string;
  replacement?: string;
  /** What the incident waited for a person on, in order, as it said it. */
  waits: Waiting[];
  /** Slack's answer for the leaked token when the incident first waited for a person. */
  leakedWhileWaiting?: TokenState;
  state: IncidentState;
  /** Consumer name → what its Secrets Manager entry holds at the end. */
  stored: Record<string, string>;
  /** Whether each of the incident's vault entries (leaked token, facts, exchange, replacement) is still there. */
  leftInVault: Record<string, boolean>;
  postMortem: string;
}

let worker: Awaited<ReturnType<typeof spawnWorker>>;
let dataDir: string;
let vault: LocalFileVault;
let control: IncidentControl;
let taskQueue: string;
/** The vault's files read while the incidents held tokens in it (before the replacements were registered, and after). */
const vaultWhileOpen: Buffer[] = [];
const installs = {} as Record<'bot' | 'user' | 'rotatingUser' | 'refresh' | 'app', Installation>;
const leaked = {} as Record<Kind, string>;
const webhookUrls: Record<string, string> = {};
const runs = {} as Record<Kind, PromiseSettledResult<Run>>;

beforeAll(async () => {
  const { clientId, clientSecret } = slack.oauthClient();
  installs.bot = slack.installation({ team: 'Acme', user: 'deploy-bot', bot_id: 'B0DEPLOYBOT' });
  installs.user = slack.installation({ team: 'Acme', user: 'alice' });
  installs.rotatingUser = slack.installation({ team: 'Acme', user: 'bob' });
  installs.refresh = slack.installation({ team: 'Acme', user: 'release-bot' });
  installs.app = slack.installation({ team: 'Acme', app_name: 'socket-relay', scopes: ['connections:write'] });
  const rotatingUserRefresh = slack.issueRefreshToken('user', installs.rotatingUser, clientId);
  leaked.bot = slack.issueToken('bot', installs.bot);
  leaked.user = slack.issueToken('user', installs.user);
  leaked['rotating user'] = slack.issueToken('user', installs.rotatingUser, { rotating: true });
  leaked.refresh = slack.issueRefreshToken('bot', installs.refresh, clientId);
  leaked['app-level'] = slack.issueToken('app', installs.app);
  leaked['incoming webhook'] = webhookUrls['leaked incoming webhook URL'] = slack.webhookUrl();
  const hook = webhookIds(leaked['incoming webhook'])!;

  // The operator's refresh token file: outside the worker's data folder, like any configuration.
  const refreshTokenFile = path.join(scratchDir('slack-kinds-config'), 'refresh-tokens.json');
  writeFileSync(refreshTokenFile, JSON.stringify({ [owner(installs.rotatingUser)]: rotatingUserRefresh }), { mode: 0o600 });

  taskQueue = uniqueQueue('slack-kinds');
  dataDir = scratchDir('slack-kinds');
  const env = { LEAKSTOP_SLACK_API_URL: slack.apiUrl, LEAKSTOP_SLACK_CLIENT_ID: clientId, LEAKSTOP_SLACK_CLIENT_SECRET: clientSecret, LEAKSTOP_SLACK_REFRESH_TOKEN_FILE: refreshTokenFile };
  const consumer = (name: string, field = 'token') => `{ name: ${name}, store: prod-sm, key: "${TAG}/${name}", field: ${field} }`;
  worker = await withSlackEnv(env, () =>
    spawnWorker({
      taskQueue,
      dataDir,
      inventory: `
stores:
  prod-sm: { kind: aws-secrets-manager }
credentials:
  - { provider: slack-token, owner: "${owner(installs.bot)}", consumers: [${consumer('bot')}] }
  - { provider: slack-token, owner: "${owner(installs.user)}", consumers: [${consumer('user')}] }
  - { provider: slack-token, owner: "${owner(installs.rotatingUser)}", consumers: [${consumer('rotating-user', 'json')}] }
  # A refresh token names no owner until it is exchanged: the entry names the credential.
  - { provider: slack-token, credentialId: "${secretId(leaked.refresh)}", consumers: [${consumer('refresh')}, ${consumer('refresh-next', 'refreshToken')}] }
  - { provider: slack-token, owner: "${installs.app.app_id}", consumers: [${consumer('app')}] }
  - { provider: slack-token, owner: "${hook.teamId}/${hook.webhookId}", consumers: [${consumer('webhook')}] }
`,
    }),
  );
  expect(process.env.LEAKSTOP_SLACK_CLIENT_SECRET).not.toBe(clientSecret); // put back as it was
  vault = new LocalFileVault(path.join(dataDir, 'vault'));
  control = controlFor(client, taskQueue);

  const settled = await Promise.allSettled([
    manualIncident(leaked.bot, ['bot'], () => slack.issueToken('bot', installs.bot)),
    manualIncident(leaked.user, ['user'], () => slack.issueToken('user', installs.user)),
    automaticIncident(leaked['rotating user'], ['rotating-user']),
    automaticIncident(leaked.refresh, ['refresh', 'refresh-next']),
    manualIncident(leaked['app-level'], ['app'], () => slack.issueToken('app', installs.app)),
    webhookIncident(leaked['incoming webhook'], hook.teamId),
  ]);
  (['bot', 'user', 'rotating user', 'refresh', 'app-level', 'incoming webhook'] as const).forEach((kind, i) => (runs[kind] = settled[i]!));
});

afterAll(async () => {
  // An incident a failed test left waiting for a person would otherwise stay on the dev server.
  for (const token of Object.values(leaked)) {
    await client.workflow.getHandle(incidentOf(token)).terminate('test over').catch(() => undefined);
  }
  await worker?.kill();
  sm.destroy();
});

const owner = (i: Installation) => `${i.team_id}/${i.user_id}`;
const incidentOf = (token: string) => incidentIdFor('slack-token', secretId(token));

function run(kind: Kind): Run {
  const r = runs[kind];
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

/** As a trigger reports a leak: the token into the worker's vault under the handle derived from it, its hash to an authoritative report. */
async function reportLeak(token: string): Promise<string> {
  const kept = await keepSecret(vault, 'leaked', 'slack-token', token);
  expect(kept).toEqual({ id: secretId(token), handle: leakedHandle('slack-token', secretId(token)) });
  const { incidentId } = await report(client, taskQueue, { provider: 'slack-token', credentialId: kept.id, exposure: { source: 'cli', public: true, repository: 'acme/chatops' }, requestedBy: PERSON });
  expect(incidentId).toBe(incidentOf(token));
  return incidentId;
}

async function waitForPerson(incidentId: string, kind: Waiting['kind'], phase: Waiting['phase']): Promise<Waiting> {
  const s = await waitForState(client, incidentId, (x) => x.waiting.some((w) => w.kind === kind && w.phase === phase));
  return s.waiting.find((w) => w.kind === kind && w.phase === phase)!;
}

/** What a person does with the replacement they made: into the worker's vault (as `incident done --credential-file` puts it), then done. */
async function registerReplacement(incidentId: string, token: string): Promise<void> {
  const kept = await keepSecret(vault, 'new', 'slack-token', token);
  vaultWhileOpen.push(vaultFiles(dataDir));
  await control.done(incidentId, { by: PERSON, credential: kept, note: 'reinstalled' });
}

async function finish(incidentId: string, token: string, consumers: string[], o: { replacement?: string; waits?: Waiting[]; leakedWhileWaiting?: TokenState } = {}): Promise<Run> {
  const state: IncidentState = await client.workflow.getHandle(incidentId).result();
  const stored: Record<string, string> = {};
  for (const name of consumers) stored[name] = (await sm.send(new GetSecretValueCommand({ SecretId: `${TAG}/${name}` }))).SecretString!;
  const handle = leakedHandle('slack-token', secretId(token));
  const leftInVault: Record<string, boolean> = {};
  for (const h of [handle, `${handle}:slack-facts`, `${handle}:slack-rotated`, ...(o.replacement ? [`new/slack-token/${secretId(o.replacement)}`] : [])]) {
    leftInVault[h] = (await vault.get(h)) !== undefined;
  }
  const postMortem = readFileSync(state.postMortem!.url, 'utf8');
  return { incidentId, leaked: token, replacement: o.replacement, waits: o.waits ?? [], leakedWhileWaiting: o.leakedWhileWaiting, state, stored, leftInVault, postMortem };
}

/** Slack has no API to make this kind: the incident waits at regenerate until a person registers the replacement. */
async function manualIncident(token: string, consumers: string[], makeReplacement: () => string): Promise<Run> {
  const incidentId = await reportLeak(token);
  const wait = await waitForPerson(incidentId, 'manual', 'regenerate');
  const leakedWhileWaiting = slack.tokenState(token);
  vaultWhileOpen.push(vaultFiles(dataDir));
  const replacement = makeReplacement();
  await registerReplacement(incidentId, replacement);
  return finish(incidentId, token, consumers, { replacement, waits: [wait], leakedWhileWaiting });
}

async function automaticIncident(token: string, consumers: string[]): Promise<Run> {
  return finish(await reportLeak(token), token, consumers);
}

/** Slack has no API for incoming webhooks: a person removes it (then skip), adds a new one (done), and skips revoke. */
async function webhookIncident(url: string, teamId: string): Promise<Run> {
  const incidentId = await reportLeak(url);
  const waits = [await waitForPerson(incidentId, 'decision', 'contain')];
  vaultWhileOpen.push(vaultFiles(dataDir));
  await control.decide(incidentId, { step: waits[0]!.step, decision: 'skip', by: PERSON, note: 'removed the webhook by hand' });
  waits.push(await waitForPerson(incidentId, 'manual', 'regenerate'));
  const replacement = (webhookUrls['replacement incoming webhook URL'] = slack.webhookUrl(teamId));
  await registerReplacement(incidentId, replacement);
  waits.push(await waitForPerson(incidentId, 'decision', 'revoke'));
  await control.decide(incidentId, { step: waits[2]!.step, decision: 'skip', by: PERSON, note: 'removed in the contain step' });
  return finish(incidentId, url, ['webhook'], { replacement, waits });
}

/** The end every incident whose replacement Slack can check comes to: `fresh` verified as `who`, nothing left in the vault. */
function expectVerifiedAndEmptied(r: Run, fresh: string, who: string) {
  expect(r.state.status).toBe('completed');
  expect(r.state.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
  expect(r.state.newCredential?.id).toBe(secretId(fresh));
  expect(r.state.verification).toMatchObject({ newWorks: true, newIdentity: who, oldDisabled: true });
  expect(r.leftInVault).toEqual(Object.fromEntries(Object.keys(r.leftInVault).map((h) => [h, false])));
}

test('bot token (xoxb-): revoked at once, waits for a person to reinstall the app, the new token is verified as the same bot and stored', () => {
  const r = run('bot');
  expect(r.leaked).toMatch(/^xoxb-/);
  expect(r.state.identification).toMatchObject({ owner: owner(installs.bot), status: 'active' });
  expect(r.state.containment).toMatchObject({ changed: true });
  expect(r.state.containment!.summary).toMatch(/deactivates the bot user/);
  // Contained before anyone was asked to do anything.
  expect(r.leakedWhileWaiting).toBe('token_revoked');
  expect(r.waits).toEqual([expect.objectContaining({ kind: 'manual', phase: 'regenerate' })]);
  expect(r.waits[0]!.reason).toContain(`Reinstall the Slack app the leaked token belongs to to workspace ${installs.bot.team_id}`);
  expect(r.waits[0]!.reason).toContain(`leakstop incident done ${r.incidentId}`);

  expect(r.stored).toEqual({ bot: r.replacement });
  expectVerifiedAndEmptied(r, r.replacement!, owner(installs.bot));
  expect(r.postMortem).toContain('- Slack credential: bot token');
  expect(r.postMortem).toContain(`- Acts as: bot deploy-bot (${installs.bot.user_id}), bot B0DEPLOYBOT`);
  expect(r.state.revocation).toMatchObject({ changed: false });
  expect(slack.tokenState(r.leaked)).toBe('token_revoked');
  expect(slack.tokenState(r.replacement!)).toBe('live');
});

test('user token (xoxp-): revoked at once, waits for the user to authorise the app again, the new token is verified as the same user and stored', () => {
  const r = run('user');
  expect(r.leaked).toMatch(/^xoxp-/);
  expect(r.state.identification).toMatchObject({ owner: owner(installs.user), status: 'active' });
  expect(r.state.containment).toMatchObject({ changed: true });
  expect(r.leakedWhileWaiting).toBe('token_revoked');
  expect(r.waits).toEqual([expect.objectContaining({ kind: 'manual', phase: 'regenerate' })]);
  expect(r.waits[0]!.reason).toContain(`Have Slack user ${installs.user.user_id} in workspace ${installs.user.team_id} authorise`);

  expect(r.stored).toEqual({ user: r.replacement });
  expectVerifiedAndEmptied(r, r.replacement!, owner(installs.user));
  expect(r.postMortem).toContain(`- Acts as: user alice (${installs.user.user_id})`);
  expect(r.state.revocation).toMatchObject({ changed: false });
  expect(slack.tokenState(r.leaked)).toBe('token_revoked');
  expect(slack.tokenState(r.replacement!)).toBe('live');
});

test('rotating user token (xoxe.xoxp-): revoked, rotated with the installation refresh token from the file, the new pair stored, nobody asked', () => {
  const r = run('rotating user');
  expect(r.leaked).toMatch(/^xoxe\.xoxp-/);
  expect(r.waits).toEqual([]);
  expect(r.state.identification).toMatchObject({ owner: owner(installs.rotatingUser), status: 'active' });
  expect(r.state.containment).toMatchObject({ changed: true });
  const pair = JSON.parse(r.stored['rotating-user']!);
  expect(Object.keys(pair).sort()).toEqual(['SLACK_REFRESH_TOKEN', 'SLACK_USER_TOKEN']);
  expect(slack.issued.get(pair.SLACK_USER_TOKEN)).toMatchObject({ kind: 'user', rotating: true, state: 'live', installation: { user_id: installs.rotatingUser.user_id } });
  expect(slack.refreshTokenUsable(pair.SLACK_REFRESH_TOKEN)).toBe(true);
  expectVerifiedAndEmptied(r, pair.SLACK_USER_TOKEN, owner(installs.rotatingUser));
  expect(r.postMortem).toContain('- Slack credential: rotating user token');
  expect(r.state.revocation).toMatchObject({ changed: false });
  expect(slack.tokenState(r.leaked)).toBe('token_revoked');
});

test('refresh token (xoxe-): contained by exchanging it once, the pair it made stored (access token and next refresh token), verified for its installation', () => {
  const r = run('refresh');
  expect(r.leaked).toMatch(/^xoxe-1-/);
  expect(r.waits).toEqual([]);
  // Nothing can check a refresh token without spending it: its owner is learnt from the exchange.
  expect(r.state.identification).toMatchObject({ owner: 'unknown', status: 'active' });
  expect(r.state.consumers.map((c) => c.name)).toEqual(['refresh', 'refresh-next']);
  expect(r.state.containment).toMatchObject({ changed: true });
  expect(r.state.containment!.summary).toMatch(/exchanged the leaked refresh token/);
  expect(slack.refreshTokenUsable(r.leaked)).toBe(false);
  expect(slack.callsOf('oauth.v2.access').filter((a) => a.refresh_token === r.leaked)).toHaveLength(1);
  expect(slack.issued.get(r.stored.refresh!)).toMatchObject({ kind: 'bot', rotating: true, state: 'live', installation: { user_id: installs.refresh.user_id } });
  expect(slack.refreshTokenUsable(r.stored['refresh-next']!)).toBe(true);
  expectVerifiedAndEmptied(r, r.stored.refresh!, owner(installs.refresh));
  expect(r.postMortem).toContain('- Slack credential: refresh token');
  expect(r.state.revocation).toMatchObject({ changed: false });
});

test('app-level token (xapp-): revoked at once, waits for a person to generate a new one, verified as the same app and stored', () => {
  const r = run('app-level');
  expect(r.leaked).toMatch(/^xapp-1-/);
  expect(r.state.identification).toMatchObject({ owner: installs.app.app_id, status: 'active' });
  expect(r.state.containment).toMatchObject({ changed: true });
  expect(r.leakedWhileWaiting).toBe('token_revoked');
  expect(r.waits).toEqual([expect.objectContaining({ kind: 'manual', phase: 'regenerate' })]);
  expect(r.waits[0]!.reason).toContain(`Generate a new app-level token for the Slack app ${installs.app.app_id}`);

  expect(r.stored).toEqual({ app: r.replacement });
  expectVerifiedAndEmptied(r, r.replacement!, installs.app.app_id);
  expect(r.postMortem).toContain(`- Acts as: app socket-relay (${installs.app.app_id})`);
  expect(r.state.revocation).toMatchObject({ changed: false });
  expect(slack.tokenState(r.leaked)).toBe('token_revoked');
  expect(slack.tokenState(r.replacement!)).toBe('live');
});

test('incoming webhook URL: a person removes it (skip), adds a new one to the same workspace (done), revoke skipped; completed with nothing checkable said so', () => {
  const r = run('incoming webhook');
  const before = webhookIds(r.leaked)!;
  const after = webhookIds(r.replacement!)!;
  expect(r.state.identification).toMatchObject({ owner: `${before.teamId}/${before.webhookId}`, status: 'active' });
  expect(r.waits.map((w) => [w.kind, w.phase, w.step])).toEqual([
    ['decision', 'contain', 'deactivate key'],
    ['manual', 'regenerate', 'create replacement'],
    ['decision', 'revoke', 'delete key'],
  ]);
  expect(r.waits[0]!.reason).toContain(`Slack has no API to disable an incoming webhook: remove it by hand`);
  expect(r.waits[0]!.reason).toContain(`${before.teamId}/${before.webhookId}`);
  expect(r.waits[1]!.reason).toContain(`Add a new incoming webhook to the same channel`);

  // The documented outcome: completed, contain and revoke skipped by the person who did them by hand,
  // and a verification that says neither URL could be checked (Slack has no API for webhooks).
  expect(r.state.status).toBe('completed');
  expect(r.state.containment).toBeUndefined();
  expect(r.state.revocation).toBeUndefined();
  expect(r.state.actions.filter((a) => a.outcome === 'skipped').map((a) => [a.phase, a.step])).toEqual([
    ['contain', 'deactivate key'],
    ['revoke', 'delete key'],
  ]);
  expect(r.state.verification).toMatchObject({ newWorks: false, oldDisabled: false, newIdentity: `${after.teamId}/${after.webhookId}` });
  expect(r.state.verification!.detail).toContain('Slack offers no way to check an incoming webhook');
  expect(r.state.newCredential?.id).toBe(secretId(r.replacement!));
  expect(r.stored).toEqual({ webhook: r.replacement });
  expect(r.postMortem).toContain(`- Workspace: ${before.teamId}`);
  expect(r.postMortem).toContain(`- Acts as: webhook ${before.webhookId}`);
  expect(r.leftInVault).toEqual(Object.fromEntries(Object.keys(r.leftInVault).map((h) => [h, false])));
});

test('the canary finds every Slack token of this file planted in plain, base64 (any alignment, both alphabets) and URL-encoded form', () => {
  for (const [kind, token] of Object.entries(leaked)) {
    const planted = [
      `header ${token} trailer`,
      JSON.stringify({ data: Buffer.from(`{"secret":"${token}"}`).toString('base64') }),
      Buffer.from(`x${token}`).toString('base64url'),
      Buffer.from(`xy${token}`).toString('base64'),
      `?url=${encodeURIComponent(token)}&x=1`,
      Buffer.concat([Buffer.from([0x0a, 0x8f, 0x01]), Buffer.from(token)]),
    ];
    for (const sink of planted) expect(findLeaks(kind, sink, { [kind]: token })).not.toEqual([]);
    expect(findLeaks(kind, `${token.slice(0, 8)}…[redacted]`, { [kind]: token })).toEqual([]);
  }
});

test('canary: no Slack token of this file, leaked or replacement, in any form, in history raw or decoded, results, logs, notifications, post-mortems, the vault or the Temporal database', async () => {
  const all = Object.keys(leaked).map((k) => run(k as Kind));
  const secrets = slackSecrets(slack, {
    ...webhookUrls,
    "Leakstop's own AWS secret": testEnv().admin.secretAccessKey,
    'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!,
  });
  // Leaked tokens, replacements, what the two exchanges made (as the consumers received it), the client secret.
  const stored = all.flatMap((r) => Object.values(r.stored).flatMap((v) => (v.startsWith('{') ? (Object.values(JSON.parse(v)) as string[]) : [v])));
  expect(stored).toHaveLength(8);
  for (const r of all) expect(Object.values(secrets)).toEqual(expect.arrayContaining([r.leaked, ...(r.replacement ? [r.replacement] : []), ...stored]));

  const sinks: Record<string, string | Buffer> = {};
  for (const r of all) Object.assign(sinks, await incidentSinks(client, r.incidentId));
  const output = worker.output();
  // The log sink was exercised: the worker logged activity failures (the webhook's contain and revoke),
  // and the console notifier wrote every incident's steps.
  expect(output).toContain('Activity failed');
  for (const r of all) expect(output).toContain(`[${r.incidentId}] post-mortem`);
  sinks['worker logs and notifications'] = output;
  expect(vaultWhileOpen.length).toBe(8); // twice for each incident a person worked on
  for (const files of vaultWhileOpen) expect(files.length).toBeGreaterThan(0);
  sinks['vault files while incidents held tokens'] = Buffer.concat(vaultWhileOpen);
  for (const [file, bytes] of Object.entries(filesUnder(dataDir))) sinks[`data folder: ${file}`] = bytes;
  sinks['Temporal database'] = temporalDatabase();
  expectNoLeaks(sinks, secrets);

  // What no incident needs any more left the vault.
  expect(vaultEntries(dataDir)).toEqual([]);
});
