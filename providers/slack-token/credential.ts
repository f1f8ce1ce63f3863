import { secretId } from '../../domain/fingerprint';
import type { ActionResult, BlastRadius, Identification, NewCredential, Unknown, Verification } from '../../domain/results';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type ManualStep, type SecretVault } from '../types';
import { blastRadiusFacts } from './blast-radius';
import { identityFacts, identityFromFacts, ownerOf, type SlackIdentity } from './identity';
import { manualText, removeWebhookText, revokeAppTokenText } from './instructions';
import { shortId } from './kind';
import type { SlackMaterial } from './material';
import { readRefreshTokens } from './refresh-tokens';
import { revokeToken } from './revocation';
import { TokenRotation, type Exchange } from './rotation';
import { SLACK_TOKEN_ENV, type SlackTokenSettings } from './settings';
import { probeToken } from './token-probe';
import { replaces, verifyWebhook } from './replacement';
import { answersAuthTest, SLACK_TOKEN_LABELS, slackKindOf, webhookIds, type SlackTokenKind } from './token-format';

const NO_LAST_USED: Unknown = { unknown: true, reason: 'Slack does not report when a token was last used; see the workspace access logs' };
const WEBHOOK_NOT_CHECKED: Unknown = {
  unknown: true,
  reason: 'an incoming webhook URL cannot be checked without posting to its channel, and Slack does not report its use: it is taken to work',
};
const REFRESH_NOT_CHECKED: Unknown = {
  unknown: true,
  reason: "a refresh token works only at oauth.v2.access with its app's client secret, and using it spends it: Slack offers no way to check one; it is taken to work",
};

/**
 * Slack tokens and incoming webhook URLs. Containment is revocation (auth.revoke): Slack has no way to
 * suspend a token. A new token comes from token rotation where the app uses it and Leakstop holds its
 * client credentials (and, for a leaked access token, the installation's refresh token); otherwise
 * from a person, and it is checked with auth.test before it is written anywhere.
 */
export class SlackTokenProvider implements CredentialProvider {
  readonly kind = 'slack-token';
  private readonly rotation?: TokenRotation;

  constructor(
    private readonly s: SlackTokenSettings,
    private readonly vault: SecretVault,
  ) {
    if (s.clientId && s.clientSecret) this.rotation = new TokenRotation({ ...s, clientId: s.clientId, clientSecret: s.clientSecret }, vault);
  }

  async identify(cred: LeakedCredential): Promise<Identification> {
    const { token, kind } = await this.leaked(cred);
    if (kind === 'webhook') {
      const ids = webhookIds(token)!;
      return { owner: `${ids.teamId}/${ids.webhookId}`, account: ids.teamId, status: 'active', lastUsed: WEBHOOK_NOT_CHECKED };
    }
    if (kind === 'refresh') return { owner: 'unknown', status: 'active', lastUsed: REFRESH_NOT_CHECKED };
    const state = await probeToken(this.s, token);
    if (!state.live) {
      // Slack forgets a token once it is revoked: what an earlier identification kept is all there is.
      const who = await this.facts(cred);
      return { owner: ownerOf(kind, who), account: who.teamId, status: 'inactive', lastUsed: NO_LAST_USED };
    }
    await this.keepFacts(cred, state.identity);
    return { owner: ownerOf(kind, state.identity), account: state.identity.teamId ?? state.identity.enterpriseId, status: 'active', lastUsed: NO_LAST_USED };
  }

  async describe(cred: LeakedCredential, owner: string): Promise<BlastRadius> {
    const { token, kind } = await this.leaked(cred);
    let who = await this.facts(cred);
    let live = false;
    if (answersAuthTest(kind)) {
      const state = await probeToken(this.s, token);
      if (state.live) {
        who = state.identity;
        live = true;
        await this.keepFacts(cred, who);
      }
    }
    return { owner, facts: blastRadiusFacts(kind, token, who, live) };
  }

  /** Policy changes nothing here: Slack has no reversible containment to choose. */
  async contain(cred: LeakedCredential, owner: string, _ctx?: IncidentContext): Promise<ActionResult> {
    const { token, kind } = await this.leaked(cred);
    if (kind === 'webhook') throw new PermanentError(removeWebhookText(token, 'Then choose skip: Leakstop asks for the replacement next.'), 'denied');
    if (kind === 'refresh') return this.spendLeakedRefreshToken(cred, token);
    return this.kill(cred, kind, token, owner);
  }

  async revoke(cred: LeakedCredential, owner: string, _ctx?: IncidentContext): Promise<ActionResult> {
    const { token, kind } = await this.leaked(cred);
    if (kind === 'webhook') throw new PermanentError(removeWebhookText(token, 'Then choose skip: the incident ends with the post-mortem.'), 'denied');
    if (kind === 'refresh') return this.spendLeakedRefreshToken(cred, token);
    return this.kill(cred, kind, token, owner);
  }

  async regenerate(cred: LeakedCredential, owner: string, ctx: IncidentContext): Promise<NewCredential | ManualStep> {
    const { token, kind } = await this.leaked(cred);
    const who = await this.facts(cred);
    const id = ctx.incidentId;
    switch (kind) {
      case 'webhook':
        return manual(manualText.webhook(token, id));
      case 'app':
        return manual(manualText.app(who, id));
      case 'legacy':
        return manual(manualText.legacy(id));
      case 'bot':
        return manual(manualText.bot(who, id));
      case 'user':
        return manual(manualText.user(who, id));
      case 'refresh':
        // The leaked refresh token itself is exchanged (containment may have done it already).
        if (!this.rotation) return manual(manualText.refresh(id));
        return this.fromExchange(cred, await this.rotation.exchangeOnce(rotatedHandle(cred), token), who, id, 'the leaked refresh token');
      case 'rotating-bot':
      case 'rotating-user': {
        if (!this.rotation) return manual(manualText.rotating(who, id));
        // Found again on a retry before the file is read: the file's token is spent by then.
        const stored = await this.rotation.stored(rotatedHandle(cred));
        if (stored) return newCredential(cred, stored);
        const refresh = this.configuredRefreshToken(owner);
        if (!refresh) return manual(manualText.rotating(who, id));
        return this.fromExchange(cred, await this.rotation.exchangeOnce(rotatedHandle(cred), refresh), who, id, `the refresh token of ${owner} in ${SLACK_TOKEN_ENV.refreshTokenFile}`);
      }
    }
  }

  async verify(cred: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification> {
    const old = await this.leaked(cred);
    const material: SlackMaterial | undefined = await this.vault.get(fresh.handle);
    const token = material?.secret;
    if (!token) throw new PermanentError(`the new credential ${shortId(fresh.id)} is not in the vault`, 'not-found');
    if (token === old.token) throw new PermanentError('the credential registered as the replacement is the leaked one', 'invalid');
    const kind = slackKindOf(token);
    if (!kind) throw new PermanentError('the replacement is not a Slack token or incoming webhook URL', 'invalid');
    if (!replaces(kind, old.kind)) throw new PermanentError(`the replacement is a ${SLACK_TOKEN_LABELS[kind]}, which cannot replace a leaked ${SLACK_TOKEN_LABELS[old.kind]}`, 'invalid');
    const what = `${SLACK_TOKEN_LABELS[kind]} ${shortId(fresh.id)}`;
    const leaked = `${SLACK_TOKEN_LABELS[old.kind]} ${shortId(cred.id)}`;
    if (kind === 'webhook') return verifyWebhook(old.token, token, what, leaked);

    const now = await probeToken(this.s, token);
    if (!now.live) throw new PermanentError(`Slack does not accept the new ${what} (${now.because})`, 'failed');
    const newOwner = ownerOf(kind, now.identity);
    // A leaked refresh token names no owner; its exchange said whose tokens it made.
    const expected = owner !== 'unknown' ? owner : ownerOf(kind, identityFromFacts(material));
    if (expected !== 'unknown' && newOwner !== expected) throw new PermanentError(`the new ${what} speaks for ${newOwner}, not ${expected}`, 'invalid');
    let oldDisabled: boolean;
    let oldSays: string;
    if (old.kind === 'refresh') {
      oldDisabled = !!(await this.rotation?.stored(rotatedHandle(cred)));
      oldSays = oldDisabled ? 'spent by the exchange, so Slack refuses it' : 'not checked: a refresh token cannot be checked without spending it';
    } else {
      const state = await probeToken(this.s, old.token);
      oldDisabled = !state.live;
      oldSays = state.live ? 'still accepted by Slack' : `rejected by Slack (${state.because})`;
    }
    return { newWorks: true, newIdentity: newOwner, oldDisabled, detail: `new ${what} works as ${newOwner}; leaked ${leaked} is ${oldSays}` };
  }

  /** The incident is over: what identification kept beside the leaked token, and any exchange's record, go too. */
  async forget(cred: LeakedCredential): Promise<void> {
    if (!cred.secretHandle) return;
    await this.vault.delete(factsHandle(cred));
    await this.vault.delete(rotatedHandle(cred));
  }

  /** auth.revoke with the token itself; a token Slack already refuses is left alone. */
  private async kill(cred: LeakedCredential, kind: SlackTokenKind, token: string, owner: string): Promise<ActionResult> {
    const what = `${SLACK_TOKEN_LABELS[kind]} ${shortId(cred.id)}`;
    const r = await revokeToken(this.s, token, what);
    if ('alreadyDead' in r) {
      const state = r.alreadyDead === 'token_revoked' ? 'was already revoked' : 'no longer works';
      return { summary: `the leaked ${what} ${state}: Slack answers ${r.alreadyDead}`, changed: false };
    }
    if ('refused' in r) {
      if (kind === 'app') throw new PermanentError(revokeAppTokenText(await this.facts(cred)), 'denied');
      throw new PermanentError(`Slack refuses to revoke the leaked ${what} through auth.revoke (${r.refused}): revoke it in the app's settings, then choose skip`, 'denied');
    }
    const after = await probeToken(this.s, token);
    // Not permanent: revoking again is harmless, so Temporal's retry tries again.
    if (after.live) throw new Error(`Slack accepted the revocation of the leaked ${what} but still accepts it`);
    return { summary: `revoked the leaked ${what} of ${owner} with auth.revoke${CONSEQUENCES[kind] ?? ''}; this cannot be undone`, changed: true };
  }

  /** Slack refuses a refresh token once it is exchanged: exchanging the leaked one is how it is contained. */
  private async spendLeakedRefreshToken(cred: LeakedCredential, token: string): Promise<ActionResult> {
    const what = `refresh token ${shortId(cred.id)}`;
    if (!this.rotation) {
      throw new PermanentError(
        `Slack makes a refresh token unusable only by exchanging it, which needs the app's client id and secret (${SLACK_TOKEN_ENV.clientId}, ${SLACK_TOKEN_ENV.clientSecret}, not set here). ` +
          `Exchange the leaked ${what} yourself at oauth.v2.access (grant_type=refresh_token) and keep the new tokens for the app, or reinstall the app; then choose skip. A refresh token is useless without its app's client secret.`,
        'denied',
      );
    }
    const ex = await this.rotation.exchangeOnce(rotatedHandle(cred), token);
    if (ex.done) {
      await this.keepFacts(cred, identityFromFacts(ex.material));
      return ex.now
        ? { summary: `exchanged the leaked ${what} at oauth.v2.access: Slack no longer accepts it; the new access token and refresh token wait in the vault for the consumers`, changed: true }
        : { summary: `the leaked ${what} was already exchanged by this incident: Slack no longer accepts it`, changed: false };
    }
    if (ex.earlierAttemptAt) return { summary: `the leaked ${what} was exchanged at ${ex.earlierAttemptAt} (its answer was lost): Slack no longer accepts it`, changed: false };
    return {
      summary: `Slack does not accept the leaked ${what} with this app's client credentials (${ex.refused}): it was already exchanged (an app with token rotation exchanges its refresh token about every 12 hours), or it belongs to another app, where it is useless without that app's client secret`,
      changed: false,
    };
  }

  private async fromExchange(cred: LeakedCredential, ex: Exchange, who: SlackIdentity, incidentId: string, source: string): Promise<NewCredential | ManualStep> {
    if (ex.done) return newCredential(cred, ex.material);
    if (ex.earlierAttemptAt) return manual(manualText.lostExchange(who, ex.earlierAttemptAt, incidentId));
    throw new PermanentError(
      `Slack refused ${source} (${ex.refused}): a person must reinstall the app to get a new access token and refresh token, give the app its refresh token and register the access token (leakstop incident done). ` +
        `If the app rotated its refresh token since it was written down, put the current one in ${SLACK_TOKEN_ENV.refreshTokenFile} and retry instead.`,
      'failed',
    );
  }

  /** The refresh token the operator keeps for this installation, read now (the file changes as tokens rotate). */
  private configuredRefreshToken(owner: string): string | undefined {
    if (!this.s.refreshTokenFile || owner === 'unknown') return undefined;
    const r = readRefreshTokens(this.s.refreshTokenFile);
    if (!r.ok) throw new PermanentError(r.problem, 'invalid');
    return r.tokens.get(owner);
  }

  private async leaked(cred: LeakedCredential): Promise<{ token: string; kind: SlackTokenKind }> {
    if (!cred.secretHandle) throw new PermanentError('the leaked Slack token was not handed over (no secretHandle)', 'not-found');
    const token = (await this.vault.get(cred.secretHandle))?.secret;
    if (!token) throw new PermanentError('the leaked Slack token is no longer in the vault', 'not-found');
    const kind = slackKindOf(token);
    if (!kind) throw new PermanentError('the leaked secret is not a Slack token or incoming webhook URL', 'invalid');
    return { token, kind };
  }

  /** Kept beside the leaked token as facts: once a token is revoked, Slack no longer says whose it was. */
  private async keepFacts(cred: LeakedCredential, who: SlackIdentity): Promise<void> {
    const facts = identityFacts(who);
    if (Object.keys(facts).length) await this.vault.put(factsHandle(cred), facts);
  }

  private async facts(cred: LeakedCredential): Promise<SlackIdentity> {
    return identityFromFacts(await this.vault.get(factsHandle(cred)));
  }
}

/** What else revoking does, said in the timeline (auth.revoke docs). */
const CONSEQUENCES: Partial<Record<SlackTokenKind, string>> = {
  bot: ': Slack also deactivates the bot user and removes it from its channels until the app is reinstalled',
  'rotating-bot': "; Slack revokes this access token only, not the installation's refresh token",
  'rotating-user': "; Slack revokes this access token only, not the installation's refresh token",
};

const manual = (instructions: string): ManualStep => ({ manual: true, instructions });
const newCredential = (cred: LeakedCredential, m: SlackMaterial): NewCredential => ({ id: secretId(m.secret!), handle: rotatedHandle(cred), removed: [] });
const factsHandle = (cred: LeakedCredential) => `${cred.secretHandle}:slack-facts`;
/** Where an exchange's result (or its marker) is kept: derived from the leaked credential, so every attempt finds it. */
const rotatedHandle = (cred: LeakedCredential) => `${cred.secretHandle}:slack-rotated`;
