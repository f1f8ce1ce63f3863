import { SLACK_PATTERNS } from './patterns';

// Which Slack credential a value is, from its prefix alone (the formats in patterns.ts, matched whole).
// Pure: the kind module, the provider and the tests share it.

export type SlackTokenKind = 'bot' | 'user' | 'rotating-bot' | 'rotating-user' | 'refresh' | 'app' | 'webhook' | 'legacy';

/** How people read each kind, in summaries and instructions. */
export const SLACK_TOKEN_LABELS: Record<SlackTokenKind, string> = {
  bot: 'bot token',
  user: 'user token',
  'rotating-bot': 'rotating bot token',
  'rotating-user': 'rotating user token',
  refresh: 'refresh token',
  app: 'app-level token',
  webhook: 'incoming webhook URL',
  legacy: 'legacy token',
};

/** The variable an app conventionally reads each kind from: the keys of the `json` rendering. */
export const SLACK_ENV_NAMES: Record<SlackTokenKind, string> = {
  bot: 'SLACK_BOT_TOKEN',
  'rotating-bot': 'SLACK_BOT_TOKEN',
  user: 'SLACK_USER_TOKEN',
  'rotating-user': 'SLACK_USER_TOKEN',
  legacy: 'SLACK_TOKEN',
  refresh: 'SLACK_REFRESH_TOKEN',
  app: 'SLACK_APP_TOKEN',
  webhook: 'SLACK_WEBHOOK_URL',
};

/** Real tokens are a few hundred characters at most; longer values are not matched at all. */
const MAX_LENGTH = 1024;

const exact = (source: string, before = '') => new RegExp(`^${before}(?:${source})$`);
const TOKEN = exact(SLACK_PATTERNS.leaks['slack-token'].source);
const ROTATED = exact(SLACK_PATTERNS.leaks['slack-rotated-token'].source);
const APP = exact(SLACK_PATTERNS.leaks['slack-app-token'].source);
// Scanners report the URL with its scheme; people sometimes paste it without.
const WEBHOOK = exact(SLACK_PATTERNS.leaks['slack-webhook-url'].source, '(?:https://)?');

const BY_PREFIX: Record<string, SlackTokenKind | 'retired'> = {
  'xoxb-': 'bot',
  'xoxp-': 'user',
  'xoxe-': 'refresh',
  'xoxe.xoxb-': 'rotating-bot',
  'xoxe.xoxp-': 'rotating-user',
  'xapp-': 'app',
  'xoxa-': 'legacy',
  'xoxo-': 'legacy',
  'xoxs-': 'legacy',
  // Refresh tokens of workspace apps, which Slack retired; nothing can exchange or check one.
  'xoxr-': 'retired',
};

export type SlackTokenMatch = { kind: SlackTokenKind; canonical: string } | { kind: 'retired' };

/**
 * The kind of Slack credential `value` is, whole; undefined when it is none. `canonical` is the form its
 * id is computed from, so that every trigger names the same credential alike (a webhook URL with its scheme).
 */
export function detectSlackToken(value: string): SlackTokenMatch | undefined {
  if (value.length > MAX_LENGTH) return undefined;
  const webhook = WEBHOOK.exec(value);
  if (webhook) return { kind: 'webhook', canonical: value.startsWith('https://') ? value : `https://${value}` };
  const m = ROTATED.exec(value) ?? APP.exec(value) ?? TOKEN.exec(value);
  const kind = m && BY_PREFIX[m[1]!];
  if (!kind) return undefined;
  return kind === 'retired' ? { kind } : { kind, canonical: value };
}

/** The kind of a value known to be a Slack credential (from the vault); undefined if it is not one. */
export function slackKindOf(value: string): SlackTokenKind | undefined {
  const m = detectSlackToken(value);
  return m && m.kind !== 'retired' ? m.kind : undefined;
}

/** Whether the kind is checked with auth.test and revoked with auth.revoke. */
export const answersAuthTest = (kind: SlackTokenKind) => kind !== 'refresh' && kind !== 'webhook';

/** The workspace and webhook ids in an incoming webhook URL: public parts, shown to people. */
export function webhookIds(url: string): { teamId: string; webhookId: string } | undefined {
  const m = /hooks\.slack\.com\/services\/(T[A-Z0-9]{1,20})\/(B[A-Z0-9]{1,20})\//.exec(url);
  return m ? { teamId: m[1]!, webhookId: m[2]! } : undefined;
}
