import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../domain/inventory';
import { loadSlackConfig } from '../../triggers/slack/config';
import { BOT_SCOPES, slackManifest } from '../../triggers/slack/manifest';
import { findSecret } from '../../triggers/slack/secrets';

// Configuration, the manifest, and the pasted-secret check: pure, no servers.

const env = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefABCDEF',
  SLACK_SIGNING_SECRET: '7d1f0b3c5e9a2468ace0135799bdf024',
  LEAKSTOP_SLACK_CHANNEL: 'C0INCIDENTS',
  LEAKSTOP_SLACK_APPROVERS: 'S0APPROVERS, U0ALICE',
};

test('Slack is off when nothing is configured, and fully validated once anything is', () => {
  expect(loadSlackConfig({})).toBeUndefined();
  expect(loadSlackConfig(env)).toEqual({
    botToken: env.SLACK_BOT_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    channel: 'C0INCIDENTS',
    command: '/leakstop',
    reporters: [],
    approvers: ['S0APPROVERS', 'U0ALICE'],
  });
  expect(loadSlackConfig({ ...env, LEAKSTOP_SLACK_REPORTERS: 'U0BOB,S0SEC', LEAKSTOP_SLACK_COMMAND: '/leak', LEAKSTOP_SLACK_ESCALATION: 'S0ONCALL' })).toMatchObject({
    reporters: ['U0BOB', 'S0SEC'],
    command: '/leak',
    escalation: 'S0ONCALL',
  });
});

test('every problem names its variable, and no secret value is repeated', () => {
  const bad = { SLACK_BOT_TOKEN: 'xoxp-user-token-oops', SLACK_SIGNING_SECRET: 'not-hex-secret-value', LEAKSTOP_SLACK_CHANNEL: '#incidents', LEAKSTOP_SLACK_REPORTERS: 'alice', LEAKSTOP_SLACK_COMMAND: 'leakstop' };
  let error: unknown;
  try {
    loadSlackConfig(bad);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message.split('\n').slice(1)).toEqual([
    'SLACK_BOT_TOKEN: must be a bot token (xoxb-…)',
    "SLACK_SIGNING_SECRET: must be the app's signing secret (hex, from Basic Information)",
    'LEAKSTOP_SLACK_CHANNEL: must be a channel id (C… or G…), not a name',
    'LEAKSTOP_SLACK_COMMAND: must be a slash command such as /leakstop',
    'LEAKSTOP_SLACK_REPORTERS: must be Slack user ids (U…, W…) or user-group ids (S…), comma-separated',
    'LEAKSTOP_SLACK_APPROVERS: is required',
  ]);
  expect(message).not.toMatch(/oops|not-hex/);
});

test('the manifest points commands and interactivity at the ingress, with the scopes the code uses', () => {
  const m = slackManifest({ baseUrl: 'https://leakstop.example.com/', command: '/leak' });
  expect(m.features.slash_commands).toEqual([expect.objectContaining({ command: '/leak', url: 'https://leakstop.example.com/slack/events' })]);
  expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://leakstop.example.com/slack/events' });
  expect(m.oauth_config.scopes.bot).toEqual([...BOT_SCOPES]);
  expect([...BOT_SCOPES].sort()).toEqual(['channels:history', 'chat:write', 'commands', 'groups:history', 'usergroups:read']);
});

test('the manifest asks for exactly the scopes of the Web API methods the code calls', () => {
  // Scopes per method, from each method's page on docs.slack.dev (bot tokens).
  const needs: Record<string, string[]> = {
    'auth.test': [],
    'chat.postMessage': ['chat:write'],
    'chat.update': ['chat:write'],
    'conversations.history': ['channels:history', 'groups:history'],
    'conversations.replies': ['channels:history', 'groups:history'],
    'usergroups.users.list': ['usergroups:read'],
    'views.open': [],
  };
  const root = path.resolve(__dirname, '../..');
  const sources = ['providers/slack', 'triggers/slack'].flatMap((dir) =>
    readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(root, dir, f), 'utf8')),
  );
  const called = new Set(sources.flatMap((src) => [...src.matchAll(/\.(chat|conversations|views|usergroups|users|auth|reactions|files)\s*\.\s*(\w+)(?:\s*\.\s*(\w+))?\(/g)].map((m) => [m[1], m[2], m[3]].filter(Boolean).join('.'))));
  expect([...called].sort()).toEqual(Object.keys(needs).sort());
  const scopes = new Set(['commands', ...[...called].flatMap((m) => needs[m]!)]);
  expect([...BOT_SCOPES].sort()).toEqual([...scopes].sort());
});

test('what looks like a pasted secret is caught; ids, URLs and repositories are not', () => {
  for (const secret of [
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    `key: ghp_${'a1B2c3D4e5'.repeat(4)}`,
    `github_pat_${'11ABCDEFG0abcdefghij'.repeat(3)}`,
    'xoxb-1111-2222-abcdefghijkl',
    '-----BEGIN RSA PRIVATE KEY-----',
    'https://hooks.example.com/x?token=Qg4XJGwMfhp9ry_7l3GXPcris6vfai3lF',
  ]) {
    expect([secret, findSecret(secret)]).toEqual([secret, expect.any(String)]);
  }
  for (const fine of [
    'AKIAIOSFODNN7EXAMPLE',
    'leak-aws-0123456789abcdef',
    'https://github.com/acme/api/commit/4f9c2e0b1d3a5c7e9f1b2d4c6e8a0b2c4d6e8f0a',
    'https://github.com/AcmeCorp/SomeRepository/blob/Main/src/Config2024.ts#L12',
    'acme/payments-service',
    'PaymentsServiceProductionDeploymentConfig2',
  ]) {
    expect([fine, findSecret(fine)]).toEqual([fine, undefined]);
  }
});
