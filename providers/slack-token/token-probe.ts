import type { AuthTestResponse } from '@slack/web-api';
import { callSlack, slackClient, SlackApiError, type CallSettings } from './client';
import type { SlackIdentity } from './identity';

/** What Slack says about a token when it is used: who it speaks for, or why it no longer works. */
export type TokenState = { live: true; identity: SlackIdentity } | { live: false; because: string };

/**
 * Slack's answers that mean the token does not work (auth.test, auth.revoke). `invalid_auth` is also
 * Slack's answer to a token used from an address its workspace does not allow; from here, it is dead.
 */
export const DEAD_TOKEN_ERRORS: ReadonlySet<string> = new Set(['token_revoked', 'invalid_auth', 'account_inactive', 'token_expired', 'not_authed']);

/** Asks `auth.test` with the token itself; the scopes come from its `x-oauth-scopes` header, where Slack sends one. */
export async function probeToken(s: CallSettings, token: string): Promise<TokenState> {
  try {
    const r: AuthTestResponse = await callSlack(s, 'auth.test', () => slackClient(s, token).auth.test());
    const scopes = r.response_metadata?.scopes;
    return {
      live: true,
      identity: {
        teamId: r.team_id || undefined,
        team: r.team || undefined,
        enterpriseId: r.enterprise_id || undefined,
        userId: r.user_id || undefined,
        user: r.user || undefined,
        botId: r.bot_id || undefined,
        appId: r.app_id || undefined,
        appName: r.app_name || undefined,
        scopes: scopes?.filter(Boolean),
      },
    };
  } catch (err) {
    if (err instanceof SlackApiError && DEAD_TOKEN_ERRORS.has(err.code)) return { live: false, because: err.code };
    throw err;
  }
}
