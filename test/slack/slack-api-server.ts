import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for Slack's Web API (and for response_url), speaking the wire format the
// official clients use: form-encoded (or JSON) POSTs to /api/<method>, JSON fields such as blocks,
// metadata and view as JSON strings, answers {ok: true, ...} or {ok: false, error}.

export interface Call {
  method: string;
  args: Record<string, any>;
}

export interface StoredMessage {
  ts: string;
  channel: string;
  text?: string;
  blocks?: any[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  user: string;
  bot_id: string;
  app_id: string;
}

/** Who a token speaks for: a bot user of an app, as auth.test and posted messages show it. */
export interface AppIdentity {
  user_id: string;
  bot_id: string;
  app_id: string;
}

/** A Slack app installed in a workspace, as the tokens issued for it speak (auth.test, oauth.v2.access). */
export interface Installation {
  team_id: string;
  team: string;
  enterprise_id?: string;
  /** The user; for a bot installation, the bot's user. */
  user_id: string;
  user: string;
  bot_id?: string;
  app_id: string;
  app_name?: string;
  /** Sent back in auth.test's x-oauth-scopes header. */
  scopes: string[];
}

export type IssuedKind = 'bot' | 'user' | 'app';
/** What Slack answers for a token: it works, or the error auth.test gives for it. */
export type TokenState = 'live' | 'token_revoked' | 'invalid_auth' | 'account_inactive';

export interface IssuedToken {
  kind: IssuedKind;
  /** Issued by token rotation (xoxe.xoxb-, xoxe.xoxp-): expires, and auth.test says when. */
  rotating: boolean;
  installation: Installation;
  state: TokenState;
  /** auth.revoke refuses this token's type (as it may an app-level token). */
  refuseRevoke?: boolean;
}

interface RefreshGrant {
  kind: 'bot' | 'user';
  installation: Installation;
  clientId: string;
  /** Slack refuses a refresh token once it has been exchanged. */
  spent: boolean;
}

/** Rotating access tokens live 12 hours (docs.slack.dev, "Using token rotation"). */
const ROTATING_EXPIRES_IN = 43_200;

const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view'];
const TEAM_ID = 'T0TEST';
/** Leakstop's own bot: every token not registered in `apps` speaks for it. */
export const LEAKSTOP_BOT: AppIdentity = { user_id: 'UBOT', bot_id: 'BBOT', app_id: 'ABOT' };

export class SlackApiServer {
  readonly calls: Call[] = [];
  /** Posts to response_url, by the path's last segment. */
  readonly responses: { id: string; body: Record<string, any> }[] = [];
  readonly messages: StoredMessage[] = [];
  /** User-group id → members, for usergroups.users.list. */
  readonly groups = new Map<string, string[]>();
  /** Methods whose next call is carried out but whose answer is lost (the socket is cut). */
  readonly loseNextAnswer = new Set<string>();
  /** Tokens of other apps installed in the workspace: their calls post and edit as that app. */
  readonly apps = new Map<string, AppIdentity>();
  /**
   * Tokens this server issued (issueToken, token rotation): auth.test answers for their installation or
   * with their error, auth.revoke revokes them, a dead one fails every method. Any other token still
   * speaks for Leakstop's bot, as before.
   */
  readonly issued = new Map<string, IssuedToken>();
  /** Refresh tokens, exchanged at oauth.v2.access (grant_type=refresh_token) with their app's client credentials. */
  readonly refreshGrants = new Map<string, RefreshGrant>();
  /** OAuth clients (client id → client secret) whose refresh tokens can be exchanged. */
  readonly oauthClients = new Map<string, string>();
  /** Methods whose next calls are answered 429 `ratelimited` with this Retry-After, `times` times. */
  readonly rateLimits = new Map<string, { times: number; retryAfter: number }>();
  url = '';
  private server?: Server;
  private clock = 1_700_000_000;
  private views = 0;

  get apiUrl() {
    return `${this.url}/api/`;
  }

  responseUrl(id: string) {
    return `${this.url}/response/${id}`;
  }

  callsOf(method: string): Record<string, any>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const body = await readBody(req);
      const path = (req.url ?? '').split('?')[0]!;
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (path.startsWith('/response/')) {
        this.responses.push({ id: path.slice('/response/'.length), body: JSON.parse(body) });
        return answer(200, { ok: true });
      }
      if (!path.startsWith('/api/')) return answer(404, { ok: false, error: 'not_found' });
      const method = path.slice('/api/'.length);
      const args = parseArgs(req.headers['content-type'], body);
      this.calls.push({ method, args });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? args.token;
      const limit = this.rateLimits.get(method);
      if (limit && limit.times > 0) {
        limit.times--;
        return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfter) });
      }
      const issued = this.issued.get(token);
      const special = method === 'oauth.v2.access' ? { json: this.exchange(args, req.headers.authorization) } : issued ? this.handleIssued(method, token, issued) : undefined;
      const out = special?.json ?? this.handle(method, args, issued ? identityOf(issued.installation) : (this.apps.get(token) ?? LEAKSTOP_BOT));
      if (this.loseNextAnswer.delete(method)) return req.socket.destroy();
      answer(200, out, special?.headers);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A new installation with fresh ids; `o` overrides any part. */
  installation(o: Partial<Installation> = {}): Installation {
    const id = (prefix: string) => `${prefix}${randomId(10)}`;
    return { team_id: id('T'), team: 'Acme', user_id: id('U'), user: 'deploy-bot', app_id: id('A'), scopes: ['chat:write', 'channels:read'], ...o };
  }

  /** A token Slack issued for `installation`, in the format of its kind; it answers auth.test as `state` says. */
  issueToken(kind: IssuedKind, installation: Installation, o: { rotating?: boolean; state?: TokenState; refuseRevoke?: boolean } = {}): string {
    const token = tokenOf(kind, installation, !!o.rotating);
    this.issued.set(token, { kind, rotating: !!o.rotating, installation, state: o.state ?? 'live', refuseRevoke: o.refuseRevoke });
    return token;
  }

  /** A refresh token of `installation`'s app (token rotation), exchangeable once with `clientId`'s secret. */
  issueRefreshToken(kind: 'bot' | 'user', installation: Installation, clientId: string): string {
    const token = `xoxe-1-${randomId(100)}`;
    this.refreshGrants.set(token, { kind, installation, clientId, spent: false });
    return token;
  }

  /** An OAuth client (an app's client id and secret) whose refresh tokens this server exchanges. */
  oauthClient(): { clientId: string; clientSecret: string } {
    const clientId = `${randomDigits(10)}.${randomDigits(12)}`;
    const clientSecret = randomBytes(16).toString('hex');
    this.oauthClients.set(clientId, clientSecret);
    return { clientId, clientSecret };
  }

  /** An incoming webhook URL of a workspace (this server does not receive posts to it). */
  webhookUrl(teamId = `T${randomId(10)}`): string {
    return `https://hooks.slack.com/services/${teamId}/B${randomId(10)}/${randomId(24, BASE62)}`;
  }

  /** Answers the next `times` calls of `method` with 429 `ratelimited` and this Retry-After. */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void {
    this.rateLimits.set(method, { times, retryAfter: retryAfterSeconds });
  }

  tokenState(token: string): TokenState | undefined {
    return this.issued.get(token)?.state;
  }

  /** A refresh token not yet exchanged. */
  refreshTokenUsable(token: string): boolean {
    const grant = this.refreshGrants.get(token);
    return !!grant && !grant.spent;
  }

  /** Calls to auth.test, auth.revoke and other methods with an issued token; undefined lets `handle` answer. */
  private handleIssued(method: string, token: string, t: IssuedToken): { json: Record<string, unknown>; headers?: Record<string, string> } | undefined {
    if (t.state !== 'live') return { json: { ok: false, error: t.state } };
    const i = t.installation;
    switch (method) {
      case 'auth.test': {
        const headers = { 'x-oauth-scopes': i.scopes.join(',') };
        // An app-level token speaks for its app, not for a workspace member.
        if (t.kind === 'app') return { json: { ok: true, app_id: i.app_id, app_name: i.app_name ?? 'app' }, headers };
        return {
          json: {
            ok: true,
            url: `https://${i.team.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.slack.com/`,
            team: i.team,
            user: i.user,
            team_id: i.team_id,
            user_id: i.user_id,
            ...(t.kind === 'bot' && i.bot_id ? { bot_id: i.bot_id } : {}),
            ...(i.enterprise_id ? { enterprise_id: i.enterprise_id, is_enterprise_install: false } : {}),
            ...(t.rotating ? { expires_in: ROTATING_EXPIRES_IN } : {}),
          },
          headers,
        };
      }
      case 'auth.revoke':
        if (t.refuseRevoke) return { json: { ok: false, error: 'not_allowed_token_type' } };
        this.issued.set(token, { ...t, state: 'token_revoked' });
        return { json: { ok: true, revoked: true } };
      default:
        return undefined;
    }
  }

  /** oauth.v2.access with grant_type=refresh_token, as token rotation does it: the old refresh token is spent. */
  private exchange(a: Record<string, any>, authorization: string | undefined): Record<string, unknown> {
    if (a.grant_type !== 'refresh_token') return { ok: false, error: a.code ? 'invalid_code' : 'invalid_grant_type' };
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    const [clientId, clientSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [a.client_id, a.client_secret];
    if (!clientId || !this.oauthClients.has(clientId)) return { ok: false, error: 'invalid_client_id' };
    if (this.oauthClients.get(clientId) !== clientSecret) return { ok: false, error: 'bad_client_secret' };
    const grant = this.refreshGrants.get(a.refresh_token);
    if (!grant || grant.spent || grant.clientId !== clientId) return { ok: false, error: 'invalid_refresh_token' };
    grant.spent = true;
    const i = grant.installation;
    const access = this.issueToken(grant.kind, i, { rotating: true });
    const refresh = this.issueRefreshToken(grant.kind, i, clientId);
    return {
      ok: true,
      access_token: access,
      token_type: grant.kind,
      scope: i.scopes.join(','),
      ...(grant.kind === 'bot' ? { bot_user_id: i.user_id } : { authed_user: { id: i.user_id } }),
      app_id: i.app_id,
      expires_in: ROTATING_EXPIRES_IN,
      refresh_token: refresh,
      team: { name: i.team, id: i.team_id },
      enterprise: i.enterprise_id ? { id: i.enterprise_id } : null,
      is_enterprise_install: false,
    };
  }

  /** The channel's top-level messages, oldest first. */
  topLevel(channel: string) {
    return this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts));
  }

  repliesTo(channel: string, ts: string) {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts);
  }

  private handle(method: string, a: Record<string, any>, me: AppIdentity): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        // As Slack answers for a bot token: the bot's user and bot ids (not the app id).
        return { ok: true, url: 'https://leakstop-test.slack.com/', team: 'test', user: 'leakstop', team_id: TEAM_ID, user_id: me.user_id, bot_id: me.bot_id };
      case 'chat.postMessage': {
        if (!a.channel) return { ok: false, error: 'channel_not_found' };
        if (!a.text && !a.blocks) return { ok: false, error: 'no_text' };
        const m: StoredMessage = { ts: this.nextTs(), channel: a.channel, text: a.text, blocks: a.blocks, metadata: a.metadata, thread_ts: a.thread_ts, user: me.user_id, bot_id: me.bot_id, app_id: me.app_id };
        if (m.thread_ts && !this.messages.some((p) => p.channel === m.channel && p.ts === m.thread_ts)) return { ok: false, error: 'thread_not_found' };
        this.messages.push(m);
        return { ok: true, channel: m.channel, ts: m.ts, message: strip(m, true) };
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === a.channel && x.ts === a.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        // An app may edit only its own messages.
        if (m.bot_id !== me.bot_id) return { ok: false, error: 'cant_update_message' };
        if (a.text !== undefined) m.text = a.text;
        if (a.blocks !== undefined) m.blocks = a.blocks;
        if (a.metadata !== undefined) m.metadata = a.metadata;
        return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
      }
      case 'chat.postEphemeral':
        return a.channel && a.user ? { ok: true, message_ts: this.nextTs() } : { ok: false, error: 'invalid_arguments' };
      case 'conversations.history': {
        const all = this.topLevel(a.channel).reverse();
        return this.page(all, a, (m) => strip(m, truthy(a.include_all_metadata)));
      }
      case 'conversations.replies': {
        const parent = this.messages.find((m) => m.channel === a.channel && m.ts === a.ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        return this.page([parent, ...this.repliesTo(a.channel, a.ts)], a, (m) => strip(m, truthy(a.include_all_metadata)));
      }
      case 'views.open':
      case 'views.update':
      case 'views.push':
        if (!a.view) return { ok: false, error: 'invalid_arguments' };
        if (method === 'views.open' && !a.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        return { ok: true, view: { ...a.view, id: `V${++this.views}` } };
      case 'usergroups.users.list': {
        const users = this.groups.get(a.usergroup);
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Cursor pagination as Slack does it: an opaque next_cursor while more remain. */
  private page<T>(all: T[], a: Record<string, any>, show: (m: T) => unknown) {
    const limit = Math.min(Number(a.limit) || 100, 1000);
    const start = a.cursor ? Number(Buffer.from(a.cursor, 'base64').toString()) : 0;
    const slice = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      ok: true,
      messages: slice.map(show),
      has_more: more,
      response_metadata: { next_cursor: more ? Buffer.from(String(start + limit)).toString('base64') : '' },
    };
  }

  private nextTs() {
    return `${++this.clock}.000100`;
  }
}

const truthy = (v: unknown) => v === true || v === 'true' || v === '1';

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random characters from `alphabet` (ids: upper case and digits, as Slack writes them). */
function randomId(length: number, alphabet = UPPER_DIGITS): string {
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

const randomDigits = (length: number) => randomId(length, '0123456789');

/** Tokens in Slack's formats, assembled at run time (token-shaped literals in a repository look like leaks). */
function tokenOf(kind: IssuedKind, i: Installation, rotating: boolean): string {
  if (kind === 'app') return `xapp-1-${i.app_id}-${randomDigits(13)}-${randomBytes(32).toString('hex')}`;
  if (rotating) return `xoxe.xox${kind === 'bot' ? 'b' : 'p'}-1-${randomId(120, BASE62)}`;
  return kind === 'bot' ? `xoxb-${randomDigits(12)}-${randomDigits(13)}-${randomId(24, BASE62)}` : `xoxp-${randomDigits(12)}-${randomDigits(12)}-${randomDigits(13)}-${randomBytes(16).toString('hex')}`;
}

/** Who an issued token posts as. */
function identityOf(i: Installation): AppIdentity {
  return { user_id: i.user_id, bot_id: i.bot_id ?? `B${i.user_id.slice(1)}`, app_id: i.app_id };
}

/** Slack returns a message's metadata only when include_all_metadata is asked for. */
function strip(m: StoredMessage, withMetadata: boolean) {
  const { metadata, ...rest } = m;
  return { type: 'message', ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}

function parseArgs(contentType: string | undefined, body: string): Record<string, any> {
  if (contentType?.includes('application/json')) return JSON.parse(body || '{}');
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = JSON_FIELDS.includes(k) ? JSON.parse(v) : v;
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
