import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { keepSecret } from '../../triggers/keep-secret';
import { filesUnder, temporalDatabase } from '../support/canary';
import { awsConfig, RecordingNotifier, scratchDir, startWorker, testEnv, uniqueQueue, useTemporal } from '../support/env';
import { report } from '../support/fixtures';
import { SlackApiServer } from '../slack/slack-api-server';
import { expectNoLeaks, incidentSinks, slackSecrets, vaultEntries, vaultFiles, withSlackEnv } from './harness';

// A leaked rotating Slack bot token through the whole runbook on a real worker: revoked at once, a new
// pair exchanged from the installation's refresh token, written to Secrets Manager (moto), verified
// with Slack, the leaked token found revoked, the post-mortem written with Slack's blast radius, and
// the vault emptied. Runs once the module is registered in providers/index.ts. Then the canary: none of
// its tokens, in any form, in any sink. The other kinds of token: incidents-token-types.test.ts.

let client: Client;
const slack = new SlackApiServer();
useTemporal((c) => (client = c), slack);

test('a leaked rotating bot token: contained, rotated by its refresh token, stored, verified, revoked, forgotten', async () => {
  const install = slack.installation({ team: 'Acme', user: 'deploy-bot', scopes: ['chat:write'] });
  const owner = `${install.team_id}/${install.user_id}`;
  const { clientId, clientSecret } = slack.oauthClient();
  const refresh = slack.issueRefreshToken('bot', install, clientId);
  const leaked = slack.issueToken('bot', install, { rotating: true });

  // Configured as an operator would: the environment (the worker reads process.env when it builds the
  // modules; it is put back as it was once the worker is built).
  const dir = scratchDir('slack-incident');
  const refreshFile = path.join(dir, 'refresh-tokens.json');
  writeFileSync(refreshFile, JSON.stringify({ [owner]: refresh }), { mode: 0o600 });
  const env = { LEAKSTOP_SLACK_API_URL: slack.apiUrl, LEAKSTOP_SLACK_CLIENT_ID: clientId, LEAKSTOP_SLACK_CLIENT_SECRET: clientSecret, LEAKSTOP_SLACK_REFRESH_TOKEN_FILE: refreshFile };

  const taskQueue = uniqueQueue('slack-token');
  const key = `${install.team_id}/slack-bot`;
  const notifier = new RecordingNotifier();
  const inventory = `
stores:
  prod-sm: { kind: aws-secrets-manager }
credentials:
  - provider: slack-token
    owner: ${owner}
    consumers:
      - { name: chatops, store: prod-sm, key: "${key}", field: json }
`;
  const worker = await withSlackEnv(env, () => startWorker({ taskQueue, notifier, inventory }));
  expect(process.env.LEAKSTOP_SLACK_CLIENT_SECRET).not.toBe(clientSecret);
  try {
    // The trigger keeps the leaked token in the worker's vault and reports its hash.
    const vault = new LocalFileVault(path.join(worker.dataDir, 'vault'));
    const kept = await keepSecret(vault, 'leaked', 'slack-token', leaked);
    const vaultWhileOpen = vaultFiles(worker.dataDir);
    expect(vaultWhileOpen.length).toBeGreaterThan(0);
    const started = await report(client, taskQueue, { provider: 'slack-token', credentialId: kept.id, exposure: { source: 'cli', public: true, repository: 'acme/chatops' }, requestedBy: 'alice' });
    expect(started.incidentId).toMatch(/^leak-slack-token-[0-9a-f]{16}$/);
    const s: IncidentState = await client.workflow.getHandle(started.incidentId).result();

    expect(s.status).toBe('completed');
    expect(s.actions.filter((a) => a.outcome !== 'done')).toEqual([]);
    expect(s.identification).toMatchObject({ owner, status: 'active' });
    expect(s.containment).toMatchObject({ changed: true });
    expect(slack.tokenState(leaked)).toBe('token_revoked');
    expect(slack.refreshTokenUsable(refresh)).toBe(false);
    expect(slack.callsOf('oauth.v2.access')).toHaveLength(1);

    // The consumer holds the new pair: an access token Slack accepts for the same bot, and the refresh token for the app's next rotation.
    const stored = JSON.parse((await new SecretsManagerClient(awsConfig()).send(new GetSecretValueCommand({ SecretId: key }))).SecretString!);
    expect(slack.issued.get(stored.SLACK_BOT_TOKEN)).toMatchObject({ rotating: true, state: 'live', installation: { user_id: install.user_id } });
    expect(slack.refreshTokenUsable(stored.SLACK_REFRESH_TOKEN)).toBe(true);
    expect(s.verification).toMatchObject({ newWorks: true, newIdentity: owner, oldDisabled: true });
    expect(s.revocation).toMatchObject({ changed: false });

    const postMortem = readFileSync(s.postMortem!.url, 'utf8');
    expect(postMortem).toContain(`- Workspace: Acme (${install.team_id})`);
    expect(postMortem).toContain('- Scopes: chat:write');
    for (const secret of [leaked, refresh, stored.SLACK_BOT_TOKEN, stored.SLACK_REFRESH_TOKEN, clientSecret]) {
      expect(postMortem).not.toContain(secret);
      expect(JSON.stringify(s)).not.toContain(secret);
    }

    // Nothing about the leaked token is left in the vault.
    expect(await vault.get(kept.handle)).toBeUndefined();
    expect(await vault.get(`${kept.handle}:slack-facts`)).toBeUndefined();
    expect(await vault.get(`${kept.handle}:slack-rotated`)).toBeUndefined();
    expect(vaultEntries(worker.dataDir)).toEqual([]);

    // The canary: every secret of the test (the leaked token, the spent refresh token, the new pair, the
    // client secret), in every form, in every sink this worker writes to.
    const secrets = slackSecrets(slack, { "Leakstop's own AWS secret": testEnv().admin.secretAccessKey, 'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]! });
    expect(Object.values(secrets)).toEqual(expect.arrayContaining([leaked, refresh, stored.SLACK_BOT_TOKEN, stored.SLACK_REFRESH_TOKEN, clientSecret]));
    const sinks: Record<string, string | Buffer> = await incidentSinks(client, started.incidentId);
    expect(notifier.events.filter((e) => e.incidentId === started.incidentId).map((e) => e.kind)).toContain('finished');
    sinks.notifications = JSON.stringify(notifier.events);
    sinks['vault files while the incident held the token'] = vaultWhileOpen;
    for (const [file, bytes] of Object.entries(filesUnder(worker.dataDir))) sinks[`data folder: ${file}`] = bytes;
    sinks['Temporal database'] = temporalDatabase();
    expectNoLeaks(sinks, secrets);
  } finally {
    await worker.stop();
  }
});
