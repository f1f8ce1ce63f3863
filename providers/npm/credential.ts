import type { ListedCredential } from '../../domain/audit';
import { secretId } from '../../domain/fingerprint';
import type { ActionResult, BlastRadius, Identification, NewCredential, Unknown, Verification } from '../../domain/results';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type ManualStep, type SecretVault } from '../types';
import { blastRadiusFacts } from './blast-radius';
import { NpmRegistryClient, RegistryRefusedError, type RegistryAuth } from './client';
import { accountPassword, passwordSource, type NpmConfig } from './config';
import { manualText } from './instructions';
import { listAccountTokens } from './listing';
import { shortId } from './kind';
import type { NpmMaterial } from './material';
import { TokenMinting } from './minting';
import { detectNpmToken, listedEntryOf, NPM_FORMAT_LABELS, type ListedToken, type NpmTokenFormat } from './token-format';

const NO_LAST_USED: Unknown = { unknown: true, reason: 'the npm registry does not report when a token was last used' };

/**
 * npm registry tokens (npmjs.org, Verdaccio, any registry with npm's token API). Containment is
 * revocation (`DELETE /-/npm/v1/tokens/token/{key}`): a token cannot be suspended. A new token is made
 * with the same restrictions (`POST /-/npm/v1/tokens`) where Leakstop holds the account's password,
 * which the registry asks for; otherwise a person makes one, and whoami checks it before it is written
 * anywhere.
 */
export class NpmTokenProvider implements CredentialProvider {
  readonly kind = 'npm-token';
  private readonly registry: NpmRegistryClient;
  private readonly minting: TokenMinting;
  /** Only with accounts configured: the registry lists an account's tokens to the account alone. */
  readonly list?: (owner?: string) => Promise<ListedCredential[]>;

  constructor(
    private readonly cfg: NpmConfig,
    private readonly env: NodeJS.ProcessEnv,
    private readonly vault: SecretVault,
  ) {
    this.registry = new NpmRegistryClient(cfg.registry, cfg.timeoutMs);
    this.minting = new TokenMinting(this.registry, vault);
    if (Object.keys(cfg.accounts).length) this.list = (owner) => listAccountTokens(this.registry, this.cfg, this.env, owner);
  }

  async identify(cred: LeakedCredential): Promise<Identification> {
    const { token } = await this.leaked(cred);
    const who = await this.registry.whoami({ token });
    if (!who.live) {
      // The registry forgets a revoked token: what an earlier identification kept is all there is.
      const facts = await this.facts(cred);
      return { owner: facts.npmUser ?? 'unknown', account: this.registry.origin, status: 'inactive', lastUsed: NO_LAST_USED };
    }
    await this.keepFacts(cred, who.username, await this.listedAs({ token }, token));
    return { owner: who.username, account: this.registry.origin, status: 'active', lastUsed: NO_LAST_USED };
  }

  async describe(cred: LeakedCredential, owner: string): Promise<BlastRadius> {
    const { token, format } = await this.leaked(cred);
    const who = await this.registry.whoami({ token });
    if (who.live) await this.keepFacts(cred, who.username, await this.listedAs({ token }, token));
    return { owner, facts: blastRadiusFacts(this.cfg.registry, NPM_FORMAT_LABELS[format], await this.facts(cred), who.live) };
  }

  /** Policy changes nothing here: the registry has no reversible containment to choose. `known`: the first response's identification, a moment ago. */
  contain(cred: LeakedCredential, owner: string, _ctx?: IncidentContext, known?: Identification): Promise<ActionResult | ManualStep> {
    return this.kill(cred, owner, known?.status === 'active' && known.owner !== 'unknown' ? known.owner : undefined);
  }

  revoke(cred: LeakedCredential, owner: string, _ctx?: IncidentContext): Promise<ActionResult | ManualStep> {
    return this.kill(cred, owner);
  }

  async regenerate(cred: LeakedCredential, owner: string, ctx: IncidentContext): Promise<NewCredential | ManualStep> {
    await this.leaked(cred);
    const facts = await this.facts(cred);
    const user = owner !== 'unknown' ? owner : (facts.npmUser ?? 'unknown');
    const manual = (why: string): ManualStep => ({ manual: true, instructions: manualText.create(this.cfg.registry, user, facts, why, ctx.incidentId) });
    // Found again on a retry before anything else: the token it holds is the incident's one new token.
    const made: NpmMaterial | undefined = await this.vault.get(newHandle(cred));
    if (made?.secret) return newCredential(cred, made, []);
    const password = user === 'unknown' ? undefined : accountPassword(this.cfg, this.env, user);
    if (!password) return manual(manualText.noPassword(user, passwordSource(this.cfg, user)));
    if (facts.npmReadonly === undefined) return manual('The leaked token\'s restrictions (read-only, CIDR ranges) were not recorded, so Leakstop cannot make one with the same.');
    if (facts.npmTokenType) return manual(`The leaked token is ${facts.npmTokenType === 'automation' ? 'an automation token' : `a ${facts.npmTokenType} token`}, which the registry's token API cannot create.`);
    try {
      const minted = await this.minting.once(newHandle(cred), user, password, { readonly: facts.npmReadonly === 'true', cidr: (facts.npmCidr ?? '').split(',').filter(Boolean) }, facts.npmTokenKey);
      return newCredential(cred, minted.material, minted.removed);
    } catch (err) {
      if (err instanceof RegistryRefusedError && (err.status === 401 || err.status === 403)) {
        return manual(`The registry refused the password of ${user} (${passwordSource(this.cfg, user)}, HTTP ${err.status}): it was changed, or the account requires a one-time password.`);
      }
      throw err;
    }
  }

  async verify(cred: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification> {
    const old = await this.leaked(cred);
    const material: NpmMaterial | undefined = await this.vault.get(fresh.handle);
    const token = material?.secret;
    if (!token) throw new PermanentError(`the new token ${shortId(fresh.id)} is not in the vault`, 'not-found');
    if (token === old.token) throw new PermanentError('the token registered as the replacement is the leaked one', 'invalid');
    const now = await this.registry.whoami({ token });
    if (!now.live) throw new PermanentError(`the registry at ${this.registry.origin} does not accept the new token ${shortId(fresh.id)} (${now.because})`, 'failed');
    const expected = owner !== 'unknown' ? owner : (await this.facts(cred)).npmUser;
    if (expected && now.username !== expected) throw new PermanentError(`the new token ${shortId(fresh.id)} speaks for ${now.username}, not ${expected}`, 'invalid');
    const then = await this.registry.whoami({ token: old.token });
    const leaked = `npm token ${shortId(cred.id)}`;
    return {
      newWorks: true,
      newIdentity: now.username,
      oldDisabled: !then.live,
      detail: `new npm token ${shortId(fresh.id)} works as ${now.username}; leaked ${leaked} is ${then.live ? 'still accepted by the registry' : `refused by the registry (${then.because})`}`,
    };
  }

  /** The incident is over: what identification kept beside the leaked token, and the new token's record, go too. */
  async forget(cred: LeakedCredential): Promise<void> {
    if (!cred.secretHandle) return;
    await this.vault.delete(factsHandle(cred));
    await this.vault.delete(newHandle(cred));
  }

  /**
   * Deletes the leaked token's entry from the token list, then checks the registry refuses it. Where the
   * registry lets only the account do it (a read-only token may not revoke itself, a session token is not
   * listed) and Leakstop holds no password, a person does it: the instructions, then their confirmation
   * (verify and revoke check the registry's answer afterwards).
   */
  private async kill(cred: LeakedCredential, owner: string, liveAs?: string): Promise<ActionResult | ManualStep> {
    const { token } = await this.leaked(cred);
    const what = `npm token ${shortId(cred.id)}`;
    const before = liveAs ? { live: true as const, username: liveAs } : await this.registry.whoami({ token });
    if (!before.live) return { summary: `the leaked ${what} is already refused by ${this.registry.origin} (${before.because})`, changed: false };
    const user = before.username;
    const password = accountPassword(this.cfg, this.env, user);
    const facts = await this.facts(cred);
    const key = facts.npmTokenKey ?? (await this.listedAs({ token }, token, password ? { user, password } : undefined))?.self?.key;
    if (!key) {
      return byHand(manualText.revokeByHand(this.cfg.registry, user, undefined, `The registry's token list has no entry for the leaked ${what} (a session token from npm login is not listed: it ends when it expires, or with a password change).`));
    }
    try {
      await this.registry.deleteToken({ token }, key);
    } catch (err) {
      // A read-only token may not revoke itself (a DELETE is a write): the account's password may.
      if (!(err instanceof RegistryRefusedError) || err.status === 404) throw err;
      if (!password) return byHand(manualText.revokeByHand(this.cfg.registry, user, key, `The registry refused to let the leaked ${what} revoke itself (HTTP ${err.status}: a read-only token may not), and Leakstop holds no password for ${user}.`));
      try {
        await this.registry.deleteToken({ user, password }, key);
      } catch (again) {
        if (again instanceof RegistryRefusedError) return byHand(manualText.revokeByHand(this.cfg.registry, user, key, `The registry refused to revoke the leaked ${what} with the password of ${user} (HTTP ${again.status}).`));
        throw again;
      }
    }
    const after = await this.registry.whoami({ token });
    // Not permanent: revoking again is harmless, so Temporal's retry tries again.
    if (after.live) throw new Error(`the registry accepted the revocation of the leaked ${what} but still accepts it`);
    return {
      summary: `revoked the leaked ${what} of ${owner === 'unknown' ? user : owner} (token list key ${key.slice(0, 8)}…) on ${this.registry.origin}; the registry now refuses it (${after.because}); this cannot be undone`,
      changed: true,
    };
  }

  /** The account's token list and the leaked token's entry in it, read with `auth` (then `fallback`, the password, if the token may not list). */
  private async listedAs(auth: RegistryAuth, token: string, fallback?: RegistryAuth): Promise<Listed | undefined> {
    for (const a of fallback ? [auth, fallback] : [auth]) {
      try {
        const entries = await this.registry.listTokens(a);
        return { entries, self: listedEntryOf(token, entries) };
      } catch (err) {
        if (!(err instanceof RegistryRefusedError)) throw err;
      }
    }
    return undefined;
  }

  private async leaked(cred: LeakedCredential): Promise<{ token: string; format: NpmTokenFormat }> {
    if (!cred.secretHandle) throw new PermanentError('the leaked npm token was not handed over (no secretHandle)', 'not-found');
    const token = (await this.vault.get(cred.secretHandle))?.secret;
    if (!token) throw new PermanentError('the leaked npm token is no longer in the vault', 'not-found');
    const m = detectNpmToken(token);
    if (!m) throw new PermanentError('the leaked secret is not an npm registry token', 'invalid');
    return { token, format: m.format };
  }

  /** Kept beside the leaked token as facts: once revoked, the registry no longer says whose it was or what it could do. */
  private async keepFacts(cred: LeakedCredential, user: string, listed: Listed | undefined): Promise<void> {
    const self = listed?.self;
    const type = self?.type ?? (self?.automation ? 'automation' : undefined);
    const facts: NpmMaterial = {
      npmUser: user,
      ...(self
        ? { npmTokenKey: self.key, npmReadonly: String(self.readonly), npmCidr: self.cidr.join(','), ...(self.created ? { npmCreated: self.created } : {}), ...(type ? { npmTokenType: type } : {}) }
        : {}),
      ...(listed ? { npmOtherTokens: String(listed.entries.length - (self ? 1 : 0)) } : {}),
    };
    await this.vault.put(factsHandle(cred), facts);
  }

  private async facts(cred: LeakedCredential): Promise<NpmMaterial> {
    return (await this.vault.get(factsHandle(cred))) ?? {};
  }
}

interface Listed {
  entries: ListedToken[];
  self?: ListedToken;
}

const byHand = (instructions: string): ManualStep => ({ manual: true, instructions });
const newCredential = (cred: LeakedCredential, m: NpmMaterial, removed: string[]): NewCredential => ({ id: secretId(m.secret!), handle: newHandle(cred), removed });
const factsHandle = (cred: LeakedCredential) => `${cred.secretHandle}:npm-facts`;
/** Where the new token (or the intent to make one) is kept: derived from the leaked credential, so every attempt finds it. */
const newHandle = (cred: LeakedCredential) => `${cred.secretHandle}:npm-new`;
