import type { ListedCredential } from '../../domain/audit';
import { createGitHubClient, httpStatus, type GitHubAuth, type GitHubClient } from './client';
import type { GitHubTokenList } from './config';
import { redactGitHubTokens } from './token-format';

// What an organization owner can see of its members' tokens, for the hygiene audit. GitHub never shows
// a token's value here, so a listed token cannot be given the id incidents use (`sha256:` of the value):
// a fine-grained token is named by GitHub's token id (`fine-grained-pat:<token_id>`, as the org's
// settings and audit log show it), an SSO-authorized one by its kind's prefix and the last eight
// characters GitHub shows (`ghp_…12345678`, read like Leakstop's redacted tokens). The inventory covers
// them by owner (the login), which, unlike either id, also survives rotation.

const PER_PAGE = 100;
/** 100 pages of 100: far beyond any organization, and a bound on what one listing may cost. */
const MAX_PAGES = 100;

/** The SSO list's credential types that are tokens, with the prefix their values carry (SSH keys are not tokens). */
const SSO_TOKEN_PREFIX: Record<string, string> = {
  'personal access token': 'ghp_',
  'OAuth app token': 'gho_',
  'GitHub app token': 'ghu_',
};

interface PatGrant {
  owner: { login: string };
  access_granted_at: string;
  token_id: number;
  token_expired: boolean;
  token_expires_at: string | null;
  token_last_used_at: string | null;
}

interface SsoAuthorization {
  login: string;
  credential_id: number;
  credential_type: string;
  token_last_eight?: string;
  credential_authorized_at: string;
  credential_accessed_at: string | null;
  authorized_credential_expires_at?: string | null;
}

export interface OrgTokenListing {
  baseUrl?: string;
  /**
   * Leakstop's identity: for the SSO list an org owner's token (`read:org`) or a GitHub App's; for the
   * fine-grained list only a GitHub App installation's (GitHub refuses any other), with the org's
   * "Personal access tokens" permission (read).
   */
  token?: GitHubAuth;
  org: string;
  lists: readonly GitHubTokenList[];
}

/**
 * Every token of the configured lists, optionally only `owner`'s. A list GitHub refuses (403: not an
 * owner, or the wrong kind of token; 404: no such org, or SSO not enabled) fails the whole listing, so
 * the audit names GitHub under "Not listed" instead of reporting an organization it could not see as clean.
 */
export async function listOrgTokens(o: OrgTokenListing, owner?: string): Promise<ListedCredential[]> {
  const client = createGitHubClient({ baseUrl: o.baseUrl, auth: o.token });
  const out: ListedCredential[] = [];
  if (o.lists.includes('fine-grained')) {
    const grants = await everyPage<PatGrant>(client, 'GET /orgs/{org}/personal-access-tokens', o.org, { what: 'fine-grained personal access tokens', notFound: 'no such organization, or the token cannot see it' });
    out.push(...grants.map(fineGrained));
  }
  if (o.lists.includes('sso')) {
    const auths = await everyPage<SsoAuthorization>(client, 'GET /orgs/{org}/credential-authorizations', o.org, {
      what: 'SAML SSO token authorizations',
      notFound: 'no such organization, or it does not use SAML single sign-on',
    });
    out.push(...auths.filter((a) => SSO_TOKEN_PREFIX[a.credential_type]).map(ssoAuthorized));
  }
  return owner === undefined ? out : out.filter((c) => c.owner === owner);
}

function fineGrained(g: PatGrant): ListedCredential {
  return {
    provider: 'github-token',
    id: `fine-grained-pat:${g.token_id}`,
    owner: g.owner.login,
    status: g.token_expired ? 'inactive' : 'active',
    // GitHub does not say when the token was made; it was made before it was granted access.
    createdAt: g.access_granted_at,
    lastUsedAt: g.token_last_used_at,
    ...(g.token_expires_at ? { expiresAt: g.token_expires_at } : {}),
  };
}

function ssoAuthorized(a: SsoAuthorization): ListedCredential {
  return {
    provider: 'github-token',
    id: a.token_last_eight ? `${SSO_TOKEN_PREFIX[a.credential_type]}…${a.token_last_eight}` : `sso-authorization:${a.credential_id}`,
    owner: a.login,
    // GitHub ends an authorization when its token expires or is revoked: what is listed is live.
    status: 'active',
    createdAt: a.credential_authorized_at,
    lastUsedAt: a.credential_accessed_at,
    ...(a.authorized_credential_expires_at ? { expiresAt: a.authorized_credential_expires_at } : {}),
  };
}

/** Every page of a paginated org list, following GitHub's `Link: rel="next"` (its page number only: the origin stays the configured one). */
async function everyPage<T>(client: GitHubClient, route: string, org: string, list: ListName): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1, n = 0; page && n < MAX_PAGES; n++) {
    let res: { data: unknown; headers: { link?: string } };
    try {
      res = await client.request(route, { org, per_page: PER_PAGE, page });
    } catch (err) {
      throw refused(err, list, org);
    }
    if (!Array.isArray(res.data)) throw new Error(`GitHub answered the ${list.what} of organization ${org} with something that is not a list`);
    out.push(...(res.data as T[]));
    page = nextPage(res.headers.link);
  }
  return out;
}

function nextPage(link: string | undefined): number {
  const next = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
  const page = next ? Number(new URL(next, 'http://link').searchParams.get('page')) : 0;
  return Number.isInteger(page) && page > 0 ? page : 0;
}

/** A list for people, and what its 404 means. */
interface ListName {
  what: string;
  notFound: string;
}

/** Why GitHub did not list, for the audit's "Not listed" line: the status, what it means here, GitHub's own words. */
function refused(err: unknown, { what, notFound }: ListName, org: string): Error {
  const status = httpStatus(err);
  const said = redactGitHubTokens(String((err as { response?: { data?: { message?: unknown } } }).response?.data?.message ?? (err as Error).message ?? '')).slice(0, 200);
  const why =
    status === 403
      ? 'the token may not list them (an organization owner with read:org, or a GitHub App with the "Personal access tokens" organization permission)'
      : status === 404
        ? notFound
        : status === 401
          ? "GitHub rejected Leakstop's token"
          : undefined;
  if (!why) return new Error(`GitHub did not list the ${what} of organization ${org}${status ? ` (HTTP ${status})` : ''}: ${said}`);
  return new Error(`GitHub refused to list the ${what} of organization ${org} (HTTP ${status}): ${why}; GitHub said: ${said}`);
}
