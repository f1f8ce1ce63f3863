import type { ListedToken } from './token-format';

// The npm registry's token API (npm-profile's calls, as npmjs.org and Verdaccio serve them): whoami, the
// token list, create and delete. Only to the configured origin: a path is resolved against it and a
// redirect is not followed. Errors are built from the status and the path alone, so none carries a token.

/** How a call authenticates: a token (Bearer), or the account's name and password (Basic). */
export type RegistryAuth = { token: string } | { user: string; password: string };

/** The registry refused a call (401, 403, 404): retrying will not change its answer. */
export class RegistryRefusedError extends Error {
  constructor(
    readonly status: number,
    what: string,
  ) {
    super(`the npm registry refused ${what} (HTTP ${status})`);
    this.name = 'RegistryRefusedError';
  }
}

export type WhoAmI = { live: true; username: string } | { live: false; because: string };

export interface CreatedToken {
  token: string;
  key: string;
  created?: string;
}

export class NpmRegistryClient {
  readonly origin: string;

  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {
    this.origin = new URL(base).origin;
  }

  /** `GET /-/whoami`: who a token speaks for, or why the registry does not accept it. */
  async whoami(auth: RegistryAuth): Promise<WhoAmI> {
    const r = await this.call('GET', '-/whoami', auth);
    if (r.status === 401 || r.status === 403) return { live: false, because: `HTTP ${r.status}` };
    this.expectOk(r, 'whoami');
    const username = (r.json as { username?: unknown } | undefined)?.username;
    // Verdaccio answers an unknown or expired token as an anonymous user: 200 with no name.
    return typeof username === 'string' && username ? { live: true, username } : { live: false, because: 'answered as anonymous' };
  }

  /** `GET /-/npm/v1/tokens`, every page (same origin only). */
  async listTokens(auth: RegistryAuth): Promise<ListedToken[]> {
    const out: ListedToken[] = [];
    let path = '-/npm/v1/tokens';
    for (let page = 0; page < 20 && path; page++) {
      const r = await this.call('GET', path, auth);
      this.expectOk(r, 'the token list');
      const body = r.json as { objects?: unknown[]; urls?: { next?: unknown } } | undefined;
      for (const o of body?.objects ?? []) {
        const t = listed(o);
        if (t) out.push(t);
      }
      const next = typeof body?.urls?.next === 'string' ? body.urls.next : '';
      path = next && new URL(next, this.base).origin === this.origin ? new URL(next, this.base).href : '';
    }
    return out;
  }

  /** `POST /-/npm/v1/tokens`: the registry asks for the account's password even when the caller is signed in. */
  async createToken(user: string, password: string, restrictions: { readonly: boolean; cidr: string[] }): Promise<CreatedToken> {
    const r = await this.call('POST', '-/npm/v1/tokens', { user, password }, { password, readonly: restrictions.readonly, cidr_whitelist: restrictions.cidr });
    this.expectOk(r, 'creating a token');
    const b = r.json as { token?: unknown; key?: unknown; created?: unknown } | undefined;
    if (typeof b?.token !== 'string' || typeof b.key !== 'string') throw new Error('the npm registry created a token but its answer held no token or key');
    return { token: b.token, key: b.key, created: typeof b.created === 'string' ? b.created : undefined };
  }

  /** `DELETE /-/npm/v1/tokens/token/{key}`; a key the registry does not know is not an error (Verdaccio answers 200, npmjs.org 404). */
  async deleteToken(auth: RegistryAuth, key: string): Promise<void> {
    const r = await this.call('DELETE', `-/npm/v1/tokens/token/${encodeURIComponent(key)}`, auth);
    if (r.status === 404) return;
    this.expectOk(r, 'revoking a token');
  }

  private expectOk(r: { status: number }, what: string): void {
    if (r.status >= 200 && r.status < 300) return;
    if (r.status === 401 || r.status === 403 || r.status === 404 || r.status === 400) throw new RegistryRefusedError(r.status, what);
    // 5xx, 429, redirects: retryable, Temporal's activity retry tries again.
    throw new Error(`the npm registry answered ${what} with HTTP ${r.status}`);
  }

  private async call(method: string, path: string, auth: RegistryAuth, body?: unknown): Promise<{ status: number; json: unknown }> {
    const url = new URL(path, this.base);
    if (url.origin !== this.origin) throw new Error(`refusing to call ${url.origin}: the npm registry is ${this.origin}`);
    const authorization = 'token' in auth ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(`no answer from the npm registry at ${this.origin} (${method} ${url.pathname.replace(/\/token\/[^/]+$/, '/token/…')}): ${(err as Error).name}`);
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }
}

function listed(o: unknown): ListedToken | undefined {
  if (!o || typeof o !== 'object') return undefined;
  const t = o as Record<string, unknown>;
  if (typeof t.key !== 'string') return undefined;
  const cidr = Array.isArray(t.cidr) ? t.cidr : Array.isArray(t.cidr_whitelist) ? t.cidr_whitelist : [];
  return {
    key: t.key,
    mask: typeof t.token === 'string' ? t.token : '',
    readonly: t.readonly === true,
    cidr: cidr.filter((c): c is string => typeof c === 'string'),
    created: typeof t.created === 'string' ? t.created : typeof t.created === 'number' ? new Date(t.created).toISOString() : undefined,
    ...(typeof t.automation === 'boolean' ? { automation: t.automation } : {}),
    ...(typeof t.type === 'string' ? { type: t.type } : {}),
  };
}
