import { detectGitHubToken, GITHUB_TOKEN_KIND_LABELS, redactGitHubToken, type GitHubTokenKind } from './token-format';
import type { ListedCredential } from '../../domain/audit';
import type { ActionResult, BlastRadius, Identification, Known, NewCredential, Verification } from '../../domain/results';
import { PermanentError, type CredentialProvider, type IncidentContext, type LeakedCredential, type ManualStep, type SecretVault } from '../types';
import { createGitHubClient, httpStatus, webUrlFor } from './client';
import type { GitHubBlastRadiusFacts } from './kind';
import { listOrgTokens, type OrgTokenListing } from './org-tokens';
import { RevocationQueue } from './revocation-queue';
import { probeToken, type TokenState } from './token-probe';

/** The vault field holding a GitHub token, leaked (under `secretHandle`) or new (under the fresh handle). */
export const GITHUB_TOKEN_FIELD = 'secret'; // the field triggers/keep-secret.ts stores

export interface GitHubTokenProviderConfig {
  /** `https://api.github.com` by default. */
  baseUrl?: string;
  /** Where people create tokens; derived from baseUrl unless set. */
  webUrl?: string;
  /** One queue per worker, so revocations of concurrent incidents share requests. */
  revocations?: RevocationQueue;
  /** How long an accepted revocation may take to be enforced before the step fails (and is retried). */
  revocationTimeoutMs?: number;
  /** The organization whose members' tokens the hygiene audit lists; without it the provider lists nothing (no `list`). */
  orgTokens?: OrgTokenListing;
}

/** What identify learned, kept beside the leaked secret: once revoked, GitHub no longer reports it. */
interface TokenFacts {
  login?: string;
  scopes?: string[];
}

const NO_ACTIVITY_API =
  'GitHub has no API that lists what a user token did; search the organization audit log (GitHub Enterprise) for the token, or review the owner security log';

/**
 * GitHub tokens (PATs, OAuth and App tokens). For GitHub, containment is revocation: a token cannot be
 * suspended, and a revoked one can never be reactivated. A new PAT cannot be created through the API,
 * so regeneration is a manual step for a person.
 */
export class GitHubTokenProvider implements CredentialProvider {
  readonly kind = 'github-token';
  private readonly revocations: RevocationQueue;
  private readonly webUrl: string;
  /** Only with an organization configured: the audit skips a provider without `list` rather than calling it denied. */
  readonly list?: (owner?: string) => Promise<ListedCredential[]>;

  constructor(
    private readonly cfg: GitHubTokenProviderConfig,
    private readonly vault: SecretVault,
  ) {
    this.revocations = cfg.revocations ?? new RevocationQueue({ baseUrl: cfg.baseUrl });
    this.webUrl = cfg.webUrl ?? webUrlFor(cfg.baseUrl);
    const listing = cfg.orgTokens;
    if (listing) this.list = (owner) => listOrgTokens(listing, owner);
  }

  async identify(cred: LeakedCredential): Promise<Identification> {
    const { token, kind } = await this.leaked(cred);
    if (kind === 'refresh') {
      return {
        owner: 'unknown',
        status: 'active',
        lastUsed: { unknown: true, reason: 'a refresh token only works at the OAuth token endpoint: GitHub offers no way to check it' },
      };
    }
    const state = await probeToken(this.cfg.baseUrl, token);
    const lastUsed: Known<{ at?: string }> = { unknown: true, reason: 'GitHub does not expose when a token was last used through its API' };
    if (!state.live) {
      const facts = await this.facts(cred);
      return { owner: facts.login ?? 'unknown', status: 'inactive', lastUsed };
    }
    if (!state.user) return { owner: 'github-app-installation', status: 'active', lastUsed };
    await this.vault.put(factsHandle(cred), { login: state.login, ...(state.scopes ? { scopes: state.scopes.join(',') } : {}) });
    return { owner: state.login, status: 'active', lastUsed };
  }

  async describe(cred: LeakedCredential, owner: string): Promise<BlastRadius> {
    const { token, kind } = await this.leaked(cred);
    const state: TokenState = kind === 'refresh' ? { live: true, user: false } : await probeToken(this.cfg.baseUrl, token);
    const scopes = state.live && state.user ? state.scopes : (await this.facts(cred)).scopes;
    return {
      owner,
      facts: {
        scopes: scopes ?? { unknown: true, reason: permissionsUnknown(kind, state.live) },
        recentActivity: { unknown: true, reason: NO_ACTIVITY_API },
      } satisfies GitHubBlastRadiusFacts,
    };
  }

  /** Policy does not change anything here: GitHub has no reversible containment to choose. */
  contain(cred: LeakedCredential, owner: string, _ctx?: IncidentContext): Promise<ActionResult> {
    return this.kill(cred, owner);
  }

  async revoke(cred: LeakedCredential, owner: string, _ctx?: IncidentContext): Promise<ActionResult> {
    const done = await this.kill(cred, owner);
    const { token, kind } = await this.leaked(cred);
    if (kind !== 'refresh' && (await probeToken(this.cfg.baseUrl, token)).live) {
      throw new Error(`GitHub still accepts the leaked ${label(kind, token)} after revocation`);
    }
    return done;
  }

  async regenerate(cred: LeakedCredential, owner: string, ctx: IncidentContext): Promise<ManualStep> {
    const { kind } = await this.leaked(cred);
    const facts = await this.facts(cred);
    const register = `Then save the new token in a file only you can read and run: leakstop incident done ${ctx.incidentId} --credential-file FILE (Leakstop verifies it and updates every consumer).`;
    const who = owner === 'unknown' ? 'the owner of the leaked token' : `GitHub user ${owner}`;
    switch (kind) {
      case 'classic-pat': {
        const scopes = !facts.scopes
          ? 'with the scopes the leaked token had (they were not recorded before it was revoked)'
          : facts.scopes.length
            ? `with exactly these scopes: ${facts.scopes.join(', ')}`
            : 'with no scopes (the leaked one had none)';
        return manual(`Sign in as ${who} and create a personal access token (classic) at ${this.webUrl}/settings/tokens/new ${scopes}, and an expiration date. ${register}`);
      }
      case 'fine-grained-pat':
        return manual(
          `Sign in as ${who} and create a fine-grained personal access token at ${this.webUrl}/settings/personal-access-tokens/new with the same resource owner, repository access and permissions as the leaked one (the API does not report them: compare with the leaked token in the token list), and an expiration date. ${register}`,
        );
      case 'installation':
        throw new PermanentError(
          'an installation token expires within an hour and the GitHub App mints new ones itself: there is nothing to create. Skip this step; if the app private key may have leaked too, rotate it in the app settings',
          'invalid',
        );
      default:
        return manual(
          `The leaked ${GITHUB_TOKEN_KIND_LABELS[kind]} was issued to an app on behalf of ${who}: have that person sign in to the app again so it receives a new token, and register it. ${register}`,
        );
    }
  }

  async verify(cred: LeakedCredential, owner: string, fresh: NewCredential): Promise<Verification> {
    const old = await this.leaked(cred);
    const material = await this.vault.get(fresh.handle);
    const token = material?.[GITHUB_TOKEN_FIELD];
    if (!token) throw new PermanentError(`the new token ${fresh.id} is not in the vault under "${GITHUB_TOKEN_FIELD}"`, 'not-found');
    if (token === old.token) throw new PermanentError('the token registered as the replacement is the leaked one', 'invalid');
    const kind = detectGitHubToken(token)?.kind ?? 'token';
    const now = await probeToken(this.cfg.baseUrl, token);
    if (!now.live) throw new PermanentError(`GitHub does not accept the new ${label(kind, token)}`, 'failed');
    if (!now.user) throw new PermanentError(`the new ${label(kind, token)} is not a user token`, 'invalid');
    if (owner !== 'unknown' && now.login !== owner) throw new PermanentError(`the new token belongs to ${now.login}, not ${owner}`, 'invalid');
    const oldDisabled = old.kind === 'refresh' ? false : !(await probeToken(this.cfg.baseUrl, old.token)).live;
    return {
      newWorks: true,
      newIdentity: now.login,
      oldDisabled,
      detail: `new ${label(kind, token)} works as ${now.login}; leaked ${label(old.kind, old.token)} is ${oldDisabled ? 'rejected by GitHub' : 'still accepted'}`,
    };
  }

  /** Revokes the leaked token the way GitHub allows for its kind; a token already dead is left alone. */
  private async kill(cred: LeakedCredential, owner: string): Promise<ActionResult> {
    const { token, kind } = await this.leaked(cred);
    const what = label(kind, token);
    if (kind !== 'refresh' && !(await probeToken(this.cfg.baseUrl, token)).live) {
      return { summary: `${what} was already revoked`, changed: false };
    }
    switch (kind) {
      case 'classic-pat':
      case 'fine-grained-pat':
        await this.revocations.submit(token);
        await this.untilRejected(token, what);
        return {
          summary: `revoked the leaked ${what} of ${owner} through GitHub's credential revocation API; this cannot be undone (GitHub cannot reactivate a token) and GitHub notifies the owner`,
          changed: true,
        };
      case 'installation': {
        const changed = await this.revokeInstallationToken(token);
        return { summary: changed ? `revoked the leaked ${what}; this cannot be undone` : `${what} was already revoked`, changed };
      }
      default:
        throw new PermanentError(
          `GitHub offers no API to revoke a leaked ${GITHUB_TOKEN_KIND_LABELS[kind]} unless you own the app it was issued to: ` +
            `the app owner can revoke it (DELETE /applications/{client_id}/token), or ${owner === 'unknown' ? 'its owner' : owner} can revoke the app authorization under Settings → Applications`,
          'denied',
        );
    }
  }

  /** Revocation is accepted (202) before it is enforced: wait, bounded, until GitHub rejects the token. */
  private async untilRejected(token: string, what: string): Promise<void> {
    const deadline = Date.now() + (this.cfg.revocationTimeoutMs ?? 30_000);
    for (let wait = 100; Date.now() < deadline; wait = Math.min(wait * 2, 2000)) {
      if (!(await probeToken(this.cfg.baseUrl, token)).live) return;
      await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, deadline - Date.now()))));
    }
    if (!(await probeToken(this.cfg.baseUrl, token)).live) return;
    // Not permanent: resubmitting is harmless, so Temporal's retry tries again.
    throw new Error(`GitHub accepted the revocation of ${what} but still accepts it`);
  }

  /** `DELETE /installation/token`, authenticated as the token itself; false when it was already dead. */
  private async revokeInstallationToken(token: string): Promise<boolean> {
    try {
      await createGitHubClient({ baseUrl: this.cfg.baseUrl, auth: token }).rest.apps.revokeInstallationAccessToken();
      return true;
    } catch (err) {
      if (httpStatus(err) === 401) return false;
      throw err;
    }
  }

  private async leaked(cred: LeakedCredential): Promise<{ token: string; kind: GitHubTokenKind }> {
    if (!cred.secretHandle) throw new PermanentError('the leaked GitHub token was not handed over (no secretHandle)', 'not-found');
    const token = (await this.vault.get(cred.secretHandle))?.[GITHUB_TOKEN_FIELD];
    if (!token) throw new PermanentError(`the leaked GitHub token is no longer in the vault (field "${GITHUB_TOKEN_FIELD}")`, 'not-found');
    const detected = detectGitHubToken(token);
    if (!detected) throw new PermanentError('the leaked secret is not a GitHub token', 'invalid');
    return { token, kind: detected.kind };
  }

  /** The incident is over: what identify kept beside the leaked token (its owner, its scopes) goes too. */
  async forget(cred: LeakedCredential): Promise<void> {
    if (cred.secretHandle) await this.vault.delete(factsHandle(cred));
  }

  private async facts(cred: LeakedCredential): Promise<TokenFacts> {
    const m = await this.vault.get(factsHandle(cred));
    return { login: m?.login, scopes: m?.scopes === undefined ? undefined : m.scopes.split(',').filter(Boolean) };
  }
}

const factsHandle = (cred: LeakedCredential) => `${cred.secretHandle}:github-facts`;
const label = (kind: GitHubTokenKind | 'token', token: string) => `${kind === 'token' ? 'token' : GITHUB_TOKEN_KIND_LABELS[kind]} ${redactGitHubToken(token)}`;
const manual = (instructions: string): ManualStep => ({ manual: true, instructions });

function permissionsUnknown(kind: GitHubTokenKind, live: boolean): string {
  if (kind === 'fine-grained-pat') return 'a fine-grained token has permissions, not scopes, and GitHub does not report them to the token';
  if (kind === 'installation') return 'an installation token has the permissions of its GitHub App installation';
  if (kind === 'refresh') return 'a refresh token grants whatever its GitHub App user token could do';
  return live ? 'GitHub sent no X-OAuth-Scopes header' : 'the token is already revoked and its scopes were not recorded while it was live';
}
