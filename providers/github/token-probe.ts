import { createGitHubClient, httpStatus } from './client';
import { GitHubRateLimitedError, rateLimitWait } from './rate-limit';

/** What GitHub says about a token when it is used: dead (401), a user's token, or a live non-user token. */
export type TokenState =
  | { live: false }
  | { live: true; user: true; login: string; /** undefined when GitHub sends no X-OAuth-Scopes (fine-grained tokens). */ scopes?: string[] }
  | { live: true; user: false };

/**
 * Asks `GET /user` with the token itself. 401 means GitHub no longer accepts it. A 403 that is not a
 * rate limit means the token authenticated but is not a user's (a GitHub App installation token).
 */
export async function probeToken(baseUrl: string | undefined, token: string): Promise<TokenState> {
  const client = createGitHubClient({ baseUrl, auth: token });
  try {
    const r = await client.rest.users.getAuthenticated();
    const header = r.headers['x-oauth-scopes'];
    const scopes = header === undefined ? undefined : String(header).split(',').map((s) => s.trim()).filter(Boolean);
    return { live: true, user: true, login: r.data.login, scopes };
  } catch (err) {
    const status = httpStatus(err);
    if (status === 401) return { live: false };
    const wait = rateLimitWait(err, 1);
    if (wait !== undefined) throw new GitHubRateLimitedError('GitHub rate-limited the token check', wait);
    if (status === 403) return { live: true, user: false };
    throw err;
  }
}
