import { callSlack, slackClient, SlackApiError, type CallSettings } from './client';
import { DEAD_TOKEN_ERRORS } from './token-probe';

/** Token types auth.revoke does not take (Slack: "Incompatible token type provided"). */
const REFUSED_TYPE_ERRORS: ReadonlySet<string> = new Set(['not_bearer_token', 'not_allowed_token_type']);

export type Revocation = { revoked: true } | { revoked: false; alreadyDead: string } | { revoked: false; refused: string };

/**
 * `auth.revoke`, authenticated as the token itself. Idempotent: a token Slack no longer accepts is
 * reported as already dead, with Slack's reason, instead of failing.
 */
export async function revokeToken(s: CallSettings, token: string, what: string): Promise<Revocation> {
  try {
    const r = await callSlack(s, 'auth.revoke', () => slackClient(s, token).auth.revoke());
    // `revoked: false` is auth.revoke's test mode; Leakstop never asks for it, so it is not a revocation.
    if ((r as { revoked?: boolean }).revoked !== true) throw new Error(`Slack answered auth.revoke for the ${what} without revoking it`);
    return { revoked: true };
  } catch (err) {
    if (err instanceof SlackApiError && DEAD_TOKEN_ERRORS.has(err.code)) return { revoked: false, alreadyDead: err.code };
    if (err instanceof SlackApiError && REFUSED_TYPE_ERRORS.has(err.code)) return { revoked: false, refused: err.code };
    throw err;
  }
}
