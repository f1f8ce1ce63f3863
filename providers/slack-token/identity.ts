import type { SlackMaterial } from './material';
import type { SlackTokenKind } from './token-format';

/** Who a Slack token speaks for, as Slack reports it (auth.test, or a token exchange). */
export interface SlackIdentity {
  teamId?: string;
  team?: string;
  enterpriseId?: string;
  /** The user, or for a bot token the bot's user. */
  userId?: string;
  user?: string;
  botId?: string;
  /** Whose token it is, where Slack says so (a token exchange's `token_type`). */
  tokenType?: 'bot' | 'user';
  appId?: string;
  appName?: string;
  scopes?: string[];
}

/**
 * The owner as Leakstop names it, from ids only (names change, and a reported token may come from any
 * workspace): `T…/U…`, the workspace then the user or bot user; an app-level token's app, `A…`; an
 * incoming webhook's workspace then webhook, `T…/B…`.
 */
export function ownerOf(kind: SlackTokenKind, who: SlackIdentity): string {
  if (kind === 'app' && who.appId) return who.appId;
  const workspace = who.teamId || who.enterpriseId;
  return workspace && who.userId ? `${workspace}/${who.userId}` : 'unknown';
}

/** The identity as vault facts (never secrets). */
export function identityFacts(who: SlackIdentity): SlackMaterial {
  const facts: SlackMaterial = {
    slackTeamId: who.teamId,
    slackTeam: who.team,
    slackEnterpriseId: who.enterpriseId,
    slackUserId: who.userId,
    slackUser: who.user,
    slackBotId: who.botId,
    slackTokenType: who.tokenType,
    slackAppId: who.appId,
    slackAppName: who.appName,
    slackScopes: who.scopes?.join(','),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined && v !== ''));
}

export function identityFromFacts(m: SlackMaterial | undefined): SlackIdentity {
  if (!m) return {};
  return {
    teamId: m.slackTeamId,
    team: m.slackTeam,
    enterpriseId: m.slackEnterpriseId,
    userId: m.slackUserId,
    user: m.slackUser,
    botId: m.slackBotId,
    tokenType: m.slackTokenType === 'bot' || m.slackTokenType === 'user' ? m.slackTokenType : undefined,
    appId: m.slackAppId,
    appName: m.slackAppName,
    scopes: m.slackScopes === undefined ? undefined : m.slackScopes.split(',').filter(Boolean),
  };
}
