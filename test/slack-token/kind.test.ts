import { secretId } from '../../domain/fingerprint';
import { slackTokenModule } from '../../providers/slack-token';
import { slackTokenKind } from '../../providers/slack-token/kind';
import { SLACK_PATTERNS } from '../../providers/slack-token/patterns';
import { SlackApiServer } from '../slack/slack-api-server';

// The Slack token kind without a network: which findings are its, what an incident is named after, how
// its material reaches stores and how its blast radius reads in a post-mortem.

const slack = new SlackApiServer(); // only its token formats; never started
const install = slack.installation();
const TOKENS = {
  'a bot token': slack.issueToken('bot', install),
  'a user token': slack.issueToken('user', install),
  'a rotating bot token': slack.issueToken('bot', install, { rotating: true }),
  'a rotating user token': slack.issueToken('user', install, { rotating: true }),
  'a refresh token': slack.issueRefreshToken('bot', install, '1.2'),
  'an app-level token': slack.issueToken('app', install),
  'an incoming webhook URL': slack.webhookUrl(),
};
const { recognise } = slackTokenKind;

test.each(Object.entries(TOKENS))('%s in a finding is recognised and named by its hash, from every scanner', (_kind, token) => {
  const named = { credentialId: secretId(token), secret: token };
  expect(recognise({ scanner: 'github-secret-scanning', type: token.startsWith('https') ? 'slack_incoming_webhook_url' : 'slack_api_token', raw: token })).toEqual(named);
  expect(recognise({ scanner: 'trufflehog', type: token.startsWith('https') ? 'SlackWebhook' : 'Slack', raw: token })).toEqual(named);
  expect(recognise({ scanner: 'pasted', raw: token })).toEqual(named);
  expect(slackTokenKind.checkId(named.credentialId)).toBeUndefined();
  expect(slackTokenKind.display(named.credentialId)).toMatch(/^slack sha256:[0-9a-f]{8}…$/);
  expect(slackTokenKind.display(named.credentialId)).not.toContain(token.slice(-8));
});

test('a webhook URL without its scheme names the same credential as with it', () => {
  const url = TOKENS['an incoming webhook URL'];
  expect(recognise({ scanner: 'pasted', raw: url.slice('https://'.length) })).toEqual({ credentialId: secretId(url), secret: url });
});

test('findings the module cannot act on say why', () => {
  expect(recognise({ scanner: 'gitguardian', type: 'slackbot_token' })).toEqual({ unidentified: expect.stringMatching(/GitGuardian sends a hash/) });
  expect(recognise({ scanner: 'trufflehog', type: 'Slack' })).toEqual({ unidentified: 'the finding holds no Slack token' });
  const workflow = `https://hooks.slack.com/triggers/${install.team_id}/123456789/${'a1'.repeat(16)}`;
  expect(recognise({ scanner: 'github-secret-scanning', type: 'slack_workflow_webhook_url', raw: workflow })).toEqual({ ignore: expect.stringMatching(/Workflow Builder/) });
  expect(recognise({ scanner: 'trufflehog', type: 'Slack', raw: `xoxr-${Date.now()}-${'b2'.repeat(12)}` })).toEqual({ ignore: expect.stringMatching(/workspace app \(xoxr-\), which Slack retired/) });
  expect(recognise({ scanner: 'trufflehog', type: 'Slack', raw: 'xoxb-short' })).toEqual({ ignore: expect.stringMatching(/not a Slack token/) });
  expect(recognise({ scanner: 'pasted', raw: 'hello' })).toEqual({ invalid: expect.stringMatching(/paste the leaked Slack token/) });
});

test('an id must be the token hash; a token put in its place is refused without being repeated', () => {
  for (const token of Object.values(TOKENS)) {
    const problem = slackTokenKind.checkId(token)!;
    expect(problem).toMatch(/not the token itself/);
    expect(problem).not.toContain(token.slice(-12));
  }
  expect(slackTokenKind.checkId('sha256:0123')).toMatch(/sha256:<16 hex>/);
  expect(slackTokenKind.checkId('T0123/U0456')).toMatch(/sha256:<16 hex>/);
});

test.each([
  [TOKENS['a bot token'], 'SLACK_BOT_TOKEN'],
  [TOKENS['a rotating bot token'], 'SLACK_BOT_TOKEN'],
  [TOKENS['a user token'], 'SLACK_USER_TOKEN'],
  [TOKENS['a rotating user token'], 'SLACK_USER_TOKEN'],
  [TOKENS['an app-level token'], 'SLACK_APP_TOKEN'],
  [TOKENS['an incoming webhook URL'], 'SLACK_WEBHOOK_URL'],
])('material renders the token as is, and as JSON under the variable its prefix calls for: %#', (token, name) => {
  const material = { secret: token };
  expect(slackTokenKind.render(material, 'token')).toBe(token);
  expect(slackTokenKind.render(material, 'json')).toBe(JSON.stringify({ [name]: token }));
  expect(slackTokenKind.render(material, 'refreshToken')).toBeUndefined();
  expect(slackTokenKind.render(material, 'secretAccessKey')).toBeUndefined();
  expect(slackTokenKind.render({}, 'token')).toBeUndefined();
});

test('material fields: tokens are secrets, what Slack said about them are facts', () => {
  expect(slackTokenKind.fields).toEqual(['token', 'refreshToken']);
  expect(Object.entries(slackTokenKind.materialFields).filter(([, c]) => c === 'secret').map(([f]) => f)).toEqual(['secret', 'refreshToken']);
  expect(slackTokenKind.materialFields.slackTeamId).toBe('fact');
});

test('the blast radius reads as Markdown lines, every value from the workspace escaped', () => {
  const lines = slackTokenKind.renderBlastRadius({
    credential: 'bot token',
    workspace: { id: 'T0123', name: '[click](https://evil.example) <b>x</b>', enterpriseId: 'E0999' },
    actsAs: { kind: 'bot', id: 'U0456', name: '@channel *deploy*', botId: 'B0789' },
    app: { unknown: true, reason: 'Slack does not name the app of a bot or user token' },
    scopes: ['chat:write', 'files:read'],
    recentActivity: { unknown: true, reason: 'Slack has no API for what a token did; see the workspace access logs' },
  });
  expect(lines).toEqual([
    '- Slack credential: bot token',
    '- Workspace: \\[click\\](https\\://evil.example) \\<b\\>x\\</b\\> (T0123), enterprise E0999',
    '- Acts as: bot @\u200dchannel \\*deploy\\* (U0456), bot B0789',
    '- App: unknown (Slack does not name the app of a bot or user token)',
    '- Scopes: chat:write, files:read',
    '- Recent activity: unknown (Slack has no API for what a token did; see the workspace access logs)',
  ]);
  // Facts recorded by another version render without failing.
  expect(slackTokenKind.renderBlastRadius({})).toContain('- Scopes: not recorded');
});

test('the module names its kind, its patterns (moved unchanged) and the scanners that report Slack tokens', () => {
  expect(slackTokenModule.name).toBe('slack-token');
  expect(slackTokenKind).toMatchObject({ kind: 'slack-token', idPrefix: 'slack-token', label: 'Slack token' });
  expect(slackTokenKind.reportHint).toMatch(/kept in the vault, never shown/);
  expect(slackTokenKind.patterns).toBe(SLACK_PATTERNS.leaks);
  expect(Object.keys(slackTokenKind.patterns)).toEqual(['slack-rotated-token', 'slack-token', 'slack-app-token', 'slack-webhook-url']);
  for (const token of Object.values(TOKENS)) {
    expect(Object.values(slackTokenKind.patterns).some((p) => new RegExp(p.source).test(`text ${token} text`))).toBe(true);
  }
  expect(slackTokenKind.scanners).toEqual({
    github: ['slack_api_token', 'slack_incoming_webhook_url', 'slack_workflow_webhook_url'],
    trufflehog: ['Slack', 13, 'SlackWebhook', 30],
    gitguardian: ['slackbot_token', 'slack_user_token', 'slack_app_token', 'slack_webhook_url'],
  });
});
