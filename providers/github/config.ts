import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';
import { fieldPath } from '../../domain/issues';

// The GitHub module's own inventory section, `providers.github`: which organization's tokens the
// hygiene audit lists, and from which of GitHub's two lists. The API and Leakstop's token stay where
// they are (LEAKSTOP_GITHUB_API_URL, LEAKSTOP_GITHUB_TOKEN); nothing here is a secret.

/** GitHub's rule for account names: letters, digits and single dashes, at most 39 characters. */
const ORG = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/**
 * `fine-grained`: `GET /orgs/{org}/personal-access-tokens` (fine-grained tokens granted access to the org).
 * `sso`: `GET /orgs/{org}/credential-authorizations` (classic PATs, OAuth and GitHub App user tokens
 * authorized for an org that uses SAML single sign-on; GitHub Enterprise Cloud only).
 */
export const GITHUB_TOKEN_LISTS = ['fine-grained', 'sso'] as const;
export type GitHubTokenList = (typeof GITHUB_TOKEN_LISTS)[number];

export const GitHubConfigSchema = z.strictObject({
  /** The organization whose members' tokens the audit lists; without it the audit lists no GitHub token. */
  org: z.string().regex(ORG, 'must be a GitHub organization name').optional(),
  /** Which lists to read (both by default): each needs its own permission, and a refused one fails the listing. */
  tokenLists: z
    .array(z.enum(GITHUB_TOKEN_LISTS, { error: `must be one of: ${GITHUB_TOKEN_LISTS.join(', ')}` }))
    .min(1, 'name at least one list, or remove org')
    .default([...GITHUB_TOKEN_LISTS]),
});

export type GitHubConfig = z.output<typeof GitHubConfigSchema>;

/** The module's configuration: its inventory section, or no organization when there is none. */
export function githubConfig(section: unknown): GitHubConfig {
  const r = GitHubConfigSchema.safeParse(section ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `providers.github${i.path.length ? `.${fieldPath(i.path)}` : ''}: ${i.message}`);
  throw new ConfigError(`GitHub provider configuration is invalid:\n${[...new Set(lines)].join('\n')}`);
}
