import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sodium from 'libsodium-wrappers';
import type { GitHubTokenKind } from '../../providers/github/token-format';
import { FakeGitHubState, type IssueRecord, type OrgRecord, type WorkflowRecord } from './fake-state';
import type { AlertFixture, CommitLocation, PatGrantFixture, SsoAuthorizationFixture } from './fixtures';
import { OpenApiContract } from './openapi-contract';
import { errorBody, errorReply, HttpError, Router, type FakeReply, type FakeRequest, type Route } from './router';
import { actionsRunRoutes } from './routes/actions-runs';
import { appRoutes, publicKeyOf, type AppRecord } from './routes/apps';
import { actionsSecretRoutes, actionsVariableRoutes } from './routes/actions-secrets';
import { issueRoutes } from './routes/issues';
import { orgTokenRoutes } from './routes/org-tokens';
import { secretScanningRoutes } from './routes/secret-scanning';
import { tokenRoutes } from './routes/tokens';

/**
 * A local GitHub REST API for tests, spoken to by the real octokit over HTTP. State is in memory and
 * open to tests. Every JSON body it sends is checked against GitHub's OpenAPI description for that
 * operation and status: a mismatch answers 500, is recorded in `violations`, and makes `stop()` throw.
 */
export class FakeGitHub {
  readonly state = new FakeGitHubState();
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  url = '';
  private server?: Server;
  private readonly router = new Router();
  private readonly contract = OpenApiContract.load();
  private readonly limits: RateLimitInjection[] = [];
  private readonly overrides = new Map<string, Route['handle']>();
  private readonly apps: AppRecord[] = [];

  constructor() {
    const api = () => this.url;
    this.router.add(
      ...tokenRoutes(this.state, api),
      ...secretScanningRoutes(this.state, api),
      ...actionsSecretRoutes(this.state, api),
      ...actionsVariableRoutes(this.state),
      ...actionsRunRoutes(this.state, api),
      ...issueRoutes(this.state, api),
      ...orgTokenRoutes(this.state, api),
      ...appRoutes(this.apps, this.state),
    );
  }

  async start(): Promise<this> {
    await sodium.ready;
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stops the server; throws when any response broke the OpenAPI contract. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.violations.length) throw new Error(`fake GitHub broke GitHub's OpenAPI contract:\n${this.violations.join('\n')}`);
  }

  // ---- seeding ----

  /**
   * A GitHub App (its id, its client id, the public half of its key) installed as `installations`
   * (id → the bot login its tokens act as). Returns its record, whose `minted` lists the tokens made.
   */
  addApp(o: { appId: string; clientId?: string; publicKeyPem: string; installations: Record<number, string> }): AppRecord {
    const app: AppRecord = {
      ids: [o.appId, ...(o.clientId ? [o.clientId] : [])],
      publicKey: publicKeyOf(o.publicKeyPem),
      installations: new Map(Object.entries(o.installations).map(([id, login]) => [Number(id), login])),
      minted: [],
    };
    this.apps.push(app);
    return app;
  }

  /** A token GitHub accepts until it is revoked. */
  addToken(token: string, o: { login: string; kind: GitHubTokenKind; scopes?: string[] }): void {
    this.state.account(o.login);
    this.state.tokens.set(token, { token, login: o.login, kind: o.kind, scopes: o.scopes ?? [] });
  }

  /** An organization whose token lists `admins` (owners, or app installations by their bot login) may read. */
  addOrg(login: string, o: { admins: string[]; sso?: boolean }): OrgRecord {
    this.state.account(login, 'Organization');
    const org: OrgRecord = { login, admins: new Set(o.admins), sso: o.sso ?? false, patGrants: [], ssoAuthorizations: [] };
    this.state.orgs.set(login, org);
    return org;
  }

  /** A member's fine-grained token, granted access to `org` (and accepted by the API until it expires). */
  grantFineGrainedToken(org: string, token: string, g: { login: string; name: string; grantedAt: string; expiresAt?: string | null; lastUsedAt?: string | null }): PatGrantFixture {
    this.addToken(token, { login: g.login, kind: 'fine-grained-pat' });
    const grant: PatGrantFixture = {
      id: this.state.id(),
      owner: this.state.account(g.login),
      tokenId: this.state.id(),
      tokenName: g.name,
      grantedAt: g.grantedAt,
      expiresAt: g.expiresAt ?? null,
      lastUsedAt: g.lastUsedAt ?? null,
    };
    this.state.orgs.get(org)!.patGrants.push(grant);
    return grant;
  }

  /** A member's classic token (or SSH key), authorized for an org that uses SAML SSO. */
  authorizeForSso(
    org: string,
    credential: string,
    a: { login: string; type?: SsoAuthorizationFixture['type']; note?: string; scopes?: string[]; authorizedAt: string; accessedAt?: string | null; expiresAt?: string | null },
  ): SsoAuthorizationFixture {
    const type = a.type ?? 'personal access token';
    if (type === 'personal access token') this.addToken(credential, { login: a.login, kind: 'classic-pat', scopes: a.scopes ?? ['repo'] });
    const auth: SsoAuthorizationFixture = {
      credentialId: this.state.id(),
      login: this.state.account(a.login).login,
      type,
      credential,
      authorizedCredentialId: this.state.id(),
      note: a.note ?? 'ci',
      scopes: a.scopes ?? ['repo'],
      authorizedAt: a.authorizedAt,
      accessedAt: a.accessedAt ?? null,
      expiresAt: a.expiresAt ?? null,
    };
    this.state.orgs.get(org)!.ssoAuthorizations.push(auth);
    return auth;
  }

  /** Every token value the fake knows (to check that none is ever shown). */
  knownTokens(): string[] {
    return [...this.state.tokens.keys()];
  }

  seedAlert(repo: string, a: { number?: number; secret: string; secretType?: string; publiclyLeaked?: boolean; locations?: CommitLocation[] }): number {
    const number = a.number ?? this.state.id();
    const alert: AlertFixture = {
      number,
      secret: a.secret,
      secretType: a.secretType ?? 'github_personal_access_token',
      secretTypeDisplayName: 'GitHub Personal Access Token',
      state: 'open',
      resolution: null,
      resolutionComment: null,
      resolvedBy: null,
      resolvedAt: null,
      publiclyLeaked: a.publiclyLeaked ?? false,
      createdAt: this.state.now(),
      updatedAt: null,
      locations: a.locations ?? [],
    };
    this.state.alerts.set(`${repo}#${number}`, alert);
    return number;
  }

  alert(repo: string, number: number): AlertFixture | undefined {
    return this.state.alerts.get(`${repo}#${number}`);
  }

  seedWorkflow(repo: string, file: string, o: Partial<Pick<WorkflowRecord, 'runName' | 'conclusion' | 'pollsInProgress' | 'name'>> = {}): WorkflowRecord {
    const w: WorkflowRecord = {
      id: this.state.id(),
      repo,
      path: `.github/workflows/${file}`,
      name: o.name ?? file.replace(/\.ya?ml$/, ''),
      runName: o.runName,
      conclusion: o.conclusion ?? 'success',
      pollsInProgress: o.pollsInProgress ?? 1,
    };
    this.state.workflows.push(w);
    return w;
  }

  /** The next `times` requests to `method route` are refused with GitHub's rate-limit answer. */
  rateLimit(o: RateLimitInjection): void {
    this.limits.push({ ...o });
  }

  /** Replaces a route's handler, e.g. to make the fake answer wrongly on purpose. */
  override(method: string, route: string, handle: Route['handle']): void {
    this.overrides.set(`${method} ${route}`, handle);
  }

  // ---- inspection ----

  /** Requests answered for `method route` (route as the OpenAPI template, or a concrete path). */
  count(method: string, route: string): number {
    return this.requests.filter((r) => r.method === method && (r.route === route || r.path === route)).length;
  }

  /** Opens a secret with the scope's private key, as GitHub Actions would. */
  decryptSecret(where: { repository: string; environment?: string } | { organization: string }, name: string): string | undefined {
    const scope = 'organization' in where ? `org:${where.organization}` : where.environment ? `env:${where.repository}/${where.environment}` : `repo:${where.repository}`;
    const stored = this.state.secrets.get(scope)?.get(name.toUpperCase());
    const k = this.state.keypairs.get(scope);
    if (!stored || !k) return undefined;
    const sealed = sodium.from_base64(stored.encryptedValue, sodium.base64_variants.ORIGINAL);
    return sodium.to_string(sodium.crypto_box_seal_open(sealed, k.publicKey, k.privateKey));
  }

  issues(repo: string): IssueRecord[] {
    return this.state.issuesOf(repo);
  }

  /** Hands over the recorded violations and forgets them (for tests that provoke one on purpose). */
  takeViolations(): string[] {
    return this.violations.splice(0);
  }

  // ---- HTTP ----

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const matched = this.router.match(method, url.pathname);
    let reply: FakeReply;
    if (!matched) {
      this.violations.push(`no fake route for ${method} ${url.pathname}`);
      reply = { status: 404, body: errorBody(404, 'Not Found') };
    } else {
      const request: FakeRequest = { method, route: matched.route.route, params: matched.params, query: url.searchParams, token, body: undefined };
      reply = await this.answer(request, await readBody(req), matched.route.handle).catch((err: unknown) =>
        err instanceof HttpError ? errorReply(err.status, err.message, err.headers) : errorReply(500, `fake GitHub failed: ${String(err)}`),
      );
      const problems = this.contract.checkResponse(method, request.route, reply.status, reply.body);
      if (problems.length) {
        const what = `${method} ${request.route} → ${reply.status}: ${problems.join('; ')}`;
        this.violations.push(what);
        reply = { status: 500, body: { message: `fake GitHub response does not match the OpenAPI description: ${what}` } };
      }
    }
    this.requests.push({ method, path: url.pathname, route: matched?.route.route, status: reply.status, authenticated: Boolean(token) });
    const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...reply.headers });
    res.end(body);
  }

  private async answer(req: FakeRequest, raw: string, handle: Route['handle']): Promise<FakeReply> {
    if (raw) {
      try {
        req.body = JSON.parse(raw);
      } catch {
        return errorReply(400, 'Problems parsing JSON');
      }
    }
    const problems = this.contract.checkRequest(req.method, req.route, req.body ?? {});
    if (problems.length) return errorReply(422, `Invalid request.\n\n${problems.join('\n')}`);
    const limited = this.limits.find((l) => l.method === req.method && l.route === req.route && l.times > 0);
    if (limited) {
      limited.times--;
      return rateLimitReply(limited);
    }
    return (this.overrides.get(`${req.method} ${req.route}`) ?? handle)(req);
  }
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The OpenAPI path template the request matched. */
  route?: string;
  status: number;
  authenticated: boolean;
}

export interface RateLimitInjection {
  method: string;
  route: string;
  times: number;
  /** secondary: a 403/429 with `retry-after`; primary: 403 with `x-ratelimit-remaining: 0` and a reset time. */
  kind: 'secondary' | 'primary';
  status?: 403 | 429;
  /** Seconds until GitHub accepts requests again. */
  retryAfter?: number;
}

/** GitHub's rate-limit answers, as its REST docs describe them. */
function rateLimitReply(l: RateLimitInjection): FakeReply {
  const seconds = l.retryAfter ?? 1;
  if (l.kind === 'secondary') {
    return errorReply(l.status ?? 429, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {
      'retry-after': String(seconds),
    });
  }
  return errorReply(l.status ?? 403, 'API rate limit exceeded for 127.0.0.1.', {
    'x-ratelimit-limit': '60',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-used': '60',
    'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + seconds),
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
