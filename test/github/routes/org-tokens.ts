import type { FakeGitHubState, OrgRecord, TokenRecord } from '../fake-state';
import { credentialAuthorization, patGrant } from '../fixtures';
import { HttpError, type FakeReply, type FakeRequest, type Route } from '../router';

// What an organization's owners can list of its members' tokens: fine-grained tokens granted access to
// it, and (SAML SSO, GitHub Enterprise Cloud) the credentials members authorized for it. Paginated the
// way GitHub paginates: `per_page` (30 by default, at most 100), `page`, and a `Link` header.

/** Kinds GitHub refuses on the fine-grained list: "These endpoints can only be called by GitHub Apps". */
const NOT_AN_APP = new Set(['classic-pat', 'oauth']);
/** A classic token needs one of these scopes to read an organization's SSO authorizations. */
const READ_ORG = ['read:org', 'admin:org'];

export function orgTokenRoutes(state: FakeGitHubState, api: () => string): Route[] {
  const orgFor = (req: FakeRequest): { org: OrgRecord; caller: TokenRecord } => {
    const caller = state.caller(req);
    const org = state.orgs.get(req.params.org!);
    if (!org) throw new HttpError(404, 'Not Found');
    return { org, caller };
  };
  return [
    {
      method: 'GET',
      route: '/orgs/{org}/personal-access-tokens',
      handle(req) {
        const { org, caller } = orgFor(req);
        if (NOT_AN_APP.has(caller.kind)) throw new HttpError(403, 'Resource not accessible by personal access token');
        if (!org.admins.has(caller.login)) throw new HttpError(403, 'Resource not accessible by integration');
        return paged(req, api(), org.patGrants.map((g) => patGrant(api(), org.login, g)));
      },
    },
    {
      method: 'GET',
      route: '/orgs/{org}/credential-authorizations',
      handle(req) {
        const { org, caller } = orgFor(req);
        if (!org.admins.has(caller.login)) throw new HttpError(403, 'You must be an organization owner to list credential authorizations');
        if (NOT_AN_APP.has(caller.kind) && !caller.scopes.some((s) => READ_ORG.includes(s))) throw new HttpError(403, 'This endpoint needs the read:org scope');
        if (!org.sso) throw new HttpError(404, 'Not Found');
        const login = req.query.get('login');
        return paged(req, api(), org.ssoAuthorizations.filter((a) => !login || a.login === login).map(credentialAuthorization));
      },
    },
  ];
}

/** One page of `items`, with GitHub's `Link` header (`next`, `last`) when there are more. */
function paged(req: FakeRequest, api: string, items: unknown[]): FakeReply {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page')) || 30));
  const page = Math.max(1, Number(req.query.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const path = req.route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(req.params[name]!));
  const link = (p: number, rel: string) => `<${api}${path}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
  const headers: Record<string, string> = page < last ? { link: [link(page + 1, 'next'), link(last, 'last')].join(', ') } : {};
  return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers };
}
