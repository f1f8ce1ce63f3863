import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../domain/inventory';
import { slackTokenModule } from '../../providers/slack-token';
import { SlackTokenProvider } from '../../providers/slack-token/credential';
import type { SecretVault } from '../../providers/types';
import { scratchDir } from '../support/env';
import { SlackApiServer } from '../slack/slack-api-server';

// The module's configuration is checked when the worker builds it: every problem names the variable to
// fix, and no value (a client secret, a refresh token) is ever repeated.

const vault: SecretVault = { put: async () => undefined, get: async () => undefined, delete: async () => undefined };
const build = (env: NodeJS.ProcessEnv, settings: Record<string, unknown> = {}) => slackTokenModule.create({ vault, env, settings });
const problem = (env: NodeJS.ProcessEnv, settings?: Record<string, unknown>) => {
  try {
    build(env, settings);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
};

const slack = new SlackApiServer(); // token formats only
const install = slack.installation();
const CLIENT = { LEAKSTOP_SLACK_CLIENT_ID: '2141029472.691202649728', LEAKSTOP_SLACK_CLIENT_SECRET: 'e1b9e11dfcd19c1982d5de12921e17e8c' };

let dir: string;
beforeAll(() => {
  dir = scratchDir('slack-token-settings');
});

test('nothing set: Slack tokens are still identified, revoked and replaced by people', () => {
  expect(build({}).credential).toBeInstanceOf(SlackTokenProvider);
});

test('the client id and secret go together, and the refresh token file needs them', () => {
  expect(problem({ LEAKSTOP_SLACK_CLIENT_ID: CLIENT.LEAKSTOP_SLACK_CLIENT_ID })).toMatch(/^LEAKSTOP_SLACK_CLIENT_SECRET: must be set together with the client id/m);
  const secretOnly = problem({ LEAKSTOP_SLACK_CLIENT_SECRET: CLIENT.LEAKSTOP_SLACK_CLIENT_SECRET });
  expect(secretOnly).toMatch(/^LEAKSTOP_SLACK_CLIENT_ID: must be set together/m);
  expect(secretOnly).not.toContain(CLIENT.LEAKSTOP_SLACK_CLIENT_SECRET);
  expect(problem({ LEAKSTOP_SLACK_REFRESH_TOKEN_FILE: '/nowhere.json' })).toMatch(/^LEAKSTOP_SLACK_REFRESH_TOKEN_FILE: needs the app's client id and secret/m);
  expect(problem({ LEAKSTOP_SLACK_CLIENT_ID: 'my-app', LEAKSTOP_SLACK_CLIENT_SECRET: 'short' })).toMatch(/LEAKSTOP_SLACK_CLIENT_ID: must be the app's client id[^]*LEAKSTOP_SLACK_CLIENT_SECRET: must be the app's client secret/);
  expect(problem({ LEAKSTOP_SLACK_API_URL: 'ftp://slack.example' })).toMatch(/^LEAKSTOP_SLACK_API_URL: must be an http\(s\) URL/m);
  expect(build(CLIENT).credential).toBeInstanceOf(SlackTokenProvider);
});

test('settings given in code are checked the same way, naming the setting', () => {
  expect(problem({}, { 'slack-token': { apiUrl: 'http://127.0.0.1:1/api', timeoutMs: 60_000 } })).toMatch(/settings\["slack-token"\]\.timeoutMs: /);
  expect(problem({}, { 'slack-token': { rateLimit: { attempts: 0, maxWaitSeconds: 1 } } })).toMatch(/settings\["slack-token"\]\.rateLimit\.attempts: /);
});

test('a refresh token file is read and checked at start; its problems name the variable and the installation, never a token', () => {
  const file = path.join(dir, 'refresh.json');
  const env = { ...CLIENT, LEAKSTOP_SLACK_REFRESH_TOKEN_FILE: file };
  const owner = `${install.team_id}/${install.user_id}`;
  const refresh = slack.issueRefreshToken('bot', install, CLIENT.LEAKSTOP_SLACK_CLIENT_ID);
  const bot = slack.issueToken('bot', install);

  expect(problem(env)).toMatch(new RegExp(`^LEAKSTOP_SLACK_REFRESH_TOKEN_FILE \\(${file}\\): cannot be read \\(ENOENT\\)`, 'm'));

  writeFileSync(file, `{"${owner}": "${refresh}"`);
  const notJson = problem(env);
  expect(notJson).toMatch(/must be a JSON object of installation → refresh token/);
  expect(notJson).not.toContain(refresh.slice(-12));

  writeFileSync(file, JSON.stringify({ [owner]: bot }));
  const notRefresh = problem(env);
  expect(notRefresh).toContain(`${owner}: must be a refresh token (xoxe-…)`);
  expect(notRefresh).not.toContain(bot.slice(-12));

  // Key and value swapped: the key is a token, and it is not repeated either.
  writeFileSync(file, JSON.stringify({ [refresh]: owner }));
  const swapped = problem(env);
  expect(swapped).toMatch(/a key is not an installation/);
  expect(swapped).not.toContain(refresh.slice(-12));

  writeFileSync(file, JSON.stringify({ [owner]: refresh }));
  expect(build(env).credential).toBeInstanceOf(SlackTokenProvider);
});
