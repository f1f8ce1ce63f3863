import type { OauthV2AccessResponse } from '@slack/web-api';
import { PermanentError, type SecretVault } from '../types';
import { callSlack, slackClient, SlackApiError, type CallSettings } from './client';
import { identityFacts } from './identity';
import type { SlackMaterial } from './material';
import { SLACK_TOKEN_ENV } from './settings';

// Token rotation (docs.slack.dev, "Using token rotation"): a refresh token is exchanged at
// oauth.v2.access (grant_type=refresh_token, the app's client id and secret) for a new access token and
// a new refresh token, and Slack refuses the old refresh token from then on. An exchange cannot be
// repeated, so it happens at most once per leaked credential, and its result is stored in the vault
// before anything else sees it; a retry finds it there.
//
// The one window left: Slack has made the new pair and the answer never reaches the vault (the worker
// dies between the two, or the answer is lost on the way). The pair is then gone: nobody holds it, the
// old refresh token is spent, and the installation can only get tokens again by being reinstalled. A
// marker written before the exchange lets the next attempt say exactly that instead of guessing.

export interface RotationSettings extends CallSettings {
  clientId: string;
  clientSecret: string;
}

export type Exchange =
  /** `material`: the new access token (`secret`), its refresh token, and facts; `now`: made by this call. */
  | { done: true; material: SlackMaterial; now: boolean }
  /** Slack refused the refresh token; `earlierAttemptAt` when an earlier attempt may have spent it. */
  | { done: false; refused: string; earlierAttemptAt?: string };

export class TokenRotation {
  /** One exchange per handle at a time in this worker (a timed-out attempt may still be running). */
  private readonly running = new Map<string, Promise<Exchange>>();

  constructor(
    private readonly s: RotationSettings,
    private readonly vault: SecretVault,
  ) {}

  /** What an exchange stored under `handle`, if one completed. */
  async stored(handle: string): Promise<SlackMaterial | undefined> {
    const m: SlackMaterial | undefined = await this.vault.get(handle);
    return m?.secret ? m : undefined;
  }

  /** Exchanges `refreshToken` unless an exchange for `handle` already completed; stores the result under `handle`. */
  exchangeOnce(handle: string, refreshToken: string): Promise<Exchange> {
    const running = this.running.get(handle);
    if (running) return running;
    const run = this.exchange(handle, refreshToken).finally(() => this.running.delete(handle));
    this.running.set(handle, run);
    return run;
  }

  private async exchange(handle: string, refreshToken: string): Promise<Exchange> {
    const before: SlackMaterial | undefined = await this.vault.get(handle);
    if (before?.secret) return { done: true, material: before, now: false };
    const earlierAttemptAt = before?.slackExchangeStartedAt;
    const startedAt = earlierAttemptAt ?? new Date().toISOString();
    if (!earlierAttemptAt) await this.vault.put(handle, { slackExchangeStartedAt: startedAt } satisfies SlackMaterial);
    let r: OauthV2AccessResponse;
    try {
      // Sent once: a re-sent exchange after a lost answer would only be refused (the token is spent).
      // A rate-limited one was not processed, so callSlack may send it again after Retry-After.
      r = await callSlack(this.s, 'oauth.v2.access', () =>
        slackClient(this.s, undefined, { once: true }).oauth.v2.access({
          client_id: this.s.clientId,
          client_secret: this.s.clientSecret,
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
        }),
      );
    } catch (err) {
      if (err instanceof SlackApiError && err.code === 'invalid_refresh_token') return { done: false, refused: err.code, earlierAttemptAt };
      if (err instanceof SlackApiError && (err.code === 'invalid_client_id' || err.code === 'bad_client_secret')) {
        throw new PermanentError(`Slack refused the app's client credentials (${err.code}): check ${SLACK_TOKEN_ENV.clientId} and ${SLACK_TOKEN_ENV.clientSecret}`, 'denied');
      }
      throw err;
    }
    const material: SlackMaterial = {
      secret: r.access_token,
      refreshToken: r.refresh_token,
      ...identityFacts({
        teamId: r.team?.id,
        team: r.team?.name,
        enterpriseId: r.enterprise?.id,
        userId: r.token_type === 'user' ? r.authed_user?.id : r.bot_user_id,
        tokenType: r.token_type === 'user' || r.token_type === 'bot' ? r.token_type : undefined,
        appId: r.app_id,
        scopes: r.scope?.split(','),
      }),
      slackExchangeStartedAt: startedAt,
    };
    // Stored even if a part is missing: whatever Slack made is kept rather than lost.
    await this.vault.put(handle, material);
    if (!material.secret) throw new PermanentError('Slack exchanged the refresh token but its answer held no access token', 'failed');
    return { done: true, material, now: true };
  }
}
