import { markdownText } from '../../domain/escape';
import { isUnknown, type Known, type Unknown } from '../../domain/results';
import type { SlackIdentity } from './identity';
import { SLACK_TOKEN_LABELS, webhookIds, type SlackTokenKind } from './token-format';

// What describe finds about a leaked Slack credential, and how the post-mortem shows it. Names (of
// workspaces, users, apps) are chosen by whoever runs the workspace the token came from, which may be
// anyone: every value is escaped for Markdown.

// A type, not an interface: it is a BlastRadius's `facts` (a plain record) as it is.
export type SlackBlastRadiusFacts = {
  /** What leaked, for people: "bot token", "incoming webhook URL", … */
  credential: string;
  workspace: Known<{ id: string; name?: string; enterpriseId?: string }>;
  /** Who the credential acts as. */
  actsAs: Known<{ kind: 'bot' | 'user' | 'app' | 'webhook'; id: string; name?: string; botId?: string }>;
  app: Known<{ id: string; name?: string }>;
  /** The token's OAuth scopes, from auth.test's `x-oauth-scopes` header. */
  scopes: Known<string[]>;
  recentActivity: Unknown;
};

const NO_ACTIVITY: Unknown = { unknown: true, reason: 'Slack has no API for what a token did; see the workspace access logs' };
const unknown = (reason: string): Unknown => ({ unknown: true, reason });

export function blastRadiusFacts(kind: SlackTokenKind, secret: string, who: SlackIdentity, live: boolean): SlackBlastRadiusFacts {
  const credential = SLACK_TOKEN_LABELS[kind];
  if (kind === 'webhook') {
    const ids = webhookIds(secret);
    return {
      credential,
      workspace: ids ? { id: ids.teamId } : unknown('the URL names no workspace'),
      actsAs: ids ? { kind: 'webhook', id: ids.webhookId } : unknown('the URL names no webhook'),
      app: unknown('an incoming webhook URL does not say which app it belongs to'),
      scopes: unknown('an incoming webhook has no scopes: whoever holds the URL can post messages to its one channel, as its app'),
      recentActivity: NO_ACTIVITY,
    };
  }
  const notRecorded = kind === 'refresh' ? 'a refresh token cannot be checked without spending it' : live ? 'Slack did not say' : 'the token was already revoked, and this was not recorded while it worked';
  const workspaceId = who.teamId ?? who.enterpriseId;
  const isBot = kind === 'bot' || kind === 'rotating-bot' || who.tokenType === 'bot' || !!who.botId;
  return {
    credential,
    workspace: workspaceId ? { id: workspaceId, name: who.team, enterpriseId: who.enterpriseId } : unknown(notRecorded),
    actsAs:
      kind === 'app'
        ? who.appId
          ? { kind: 'app', id: who.appId, name: who.appName }
          : unknown(notRecorded)
        : who.userId
          ? { kind: isBot ? 'bot' : 'user', id: who.userId, name: who.user, botId: who.botId }
          : unknown(notRecorded),
    app: who.appId ? { id: who.appId, name: who.appName } : unknown(kind === 'app' ? notRecorded : 'Slack does not name the app of a bot or user token'),
    scopes: who.scopes ? who.scopes : unknown(kind === 'app' ? 'Slack does not report the scopes of an app-level token' : live ? 'Slack sent no x-oauth-scopes header' : notRecorded),
    recentActivity: NO_ACTIVITY,
  };
}

/** The post-mortem's blast-radius lines; tolerant of facts recorded by another version. */
export function renderSlackBlastRadius(raw: Record<string, unknown>): string[] {
  const f = raw as Partial<SlackBlastRadiusFacts>;
  const known = <T>(v: Known<T> | undefined, show: (x: T) => string) =>
    v === undefined ? 'not recorded' : isUnknown(v) ? `unknown (${markdownText(v.reason)})` : show(v);
  const named = (id: string, name?: string) => (name ? `${markdownText(name)} (${markdownText(id)})` : markdownText(id));
  return [
    `- Slack credential: ${markdownText(String(f.credential ?? 'token'))}`,
    `- Workspace: ${known(f.workspace, (w) => `${named(w.id, w.name)}${w.enterpriseId ? `, enterprise ${markdownText(w.enterpriseId)}` : ''}`)}`,
    `- Acts as: ${known(f.actsAs, (a) => `${markdownText(a.kind)} ${named(a.id, a.name)}${a.botId ? `, bot ${markdownText(a.botId)}` : ''}`)}`,
    `- App: ${known(f.app, (a) => named(a.id, a.name))}`,
    `- Scopes: ${known(f.scopes, (s) => (s.length ? s.map(markdownText).join(', ') : 'none'))}`,
    `- Recent activity: ${known(f.recentActivity, () => 'none recorded')}`,
  ];
}
