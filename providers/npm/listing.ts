import type { ListedCredential } from '../../domain/audit';
import { NpmRegistryClient, RegistryRefusedError } from './client';
import { accountPassword, passwordSource, type NpmConfig } from './config';
import { NPM_KEY_ID } from './kind';

// The hygiene audit's view of npm: each configured account's own token list (`GET /-/npm/v1/tokens`,
// signed in with the account's password, as `npm token list` is). The list never shows a token, only a
// prefix of it (not kept here), so a token is named by its list key, the id it is revoked by
// (`npm-key:<key>`); incidents name tokens by a hash of the value, which a list cannot give, so the
// inventory covers an account's tokens by owner (the npm user name). The API tells neither last use nor
// expiry: both stay unknown, which the audit reads as "cannot tell".

/** Every configured account's tokens (only `owner`'s when given); an account the registry refuses fails the listing. */
export async function listAccountTokens(registry: NpmRegistryClient, cfg: NpmConfig, env: NodeJS.ProcessEnv, owner?: string): Promise<ListedCredential[]> {
  const out: ListedCredential[] = [];
  for (const user of Object.keys(cfg.accounts)) {
    if (owner !== undefined && user !== owner) continue;
    const password = accountPassword(cfg, env, user);
    if (!password) throw new Error(`cannot list the npm tokens of ${user}: no password in ${passwordSource(cfg, user)}`);
    let tokens;
    try {
      tokens = await registry.listTokens({ user, password });
    } catch (err) {
      if (err instanceof RegistryRefusedError) throw new Error(`${err.message} of ${user} at ${registry.origin}: check the password in ${passwordSource(cfg, user)}`);
      throw err;
    }
    for (const t of tokens) {
      out.push({ provider: 'npm-token', id: `${NPM_KEY_ID}${t.key}`, owner: user, status: 'active', ...(t.created ? { createdAt: t.created } : {}) });
    }
  }
  return out;
}
