import type { FakeGitHubState } from '../fake-state';
import { privateUser } from '../fixtures';
import { errorReply, type Route } from '../router';

// Token endpoints: who a token belongs to, and the two ways to kill one.

/** Kinds `POST /credentials/revoke` accepts (GitHub's docs: classic and fine-grained PATs only). */
const REVOCABLE = new Set(['classic-pat', 'fine-grained-pat']);
/** Kinds GitHub reports scopes for; fine-grained tokens and app tokens have permissions instead. */
const SCOPED = new Set(['classic-pat', 'oauth']);

export function tokenRoutes(state: FakeGitHubState, api: () => string): Route[] {
  return [
    {
      method: 'GET',
      route: '/user',
      handle(req) {
        const t = state.caller(req);
        // An installation token is valid but is not a user: GitHub refuses /user for it.
        if (t.kind === 'installation') return errorReply(403, 'Resource not accessible by integration');
        const headers: Record<string, string> = SCOPED.has(t.kind) ? { 'x-oauth-scopes': t.scopes.join(', ') } : {};
        return { status: 200, body: privateUser(api(), state.account(t.login)), headers };
      },
    },
    {
      method: 'POST',
      route: '/credentials/revoke',
      handle(req) {
        // Documented: "Any authenticated requests will return a 403."
        if (req.token) return errorReply(403, 'This endpoint must be called without authentication');
        for (const token of (req.body as { credentials: string[] }).credentials) {
          if (REVOCABLE.has(state.tokens.get(token)?.kind ?? '')) state.kill(token);
        }
        return { status: 202, body: {} };
      },
    },
    {
      method: 'DELETE',
      route: '/installation/token',
      handle(req) {
        const t = state.caller(req);
        if (t.kind !== 'installation') return errorReply(403, 'This endpoint requires an installation access token');
        state.kill(t.token);
        return { status: 204 };
      },
    },
  ];
}
