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
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
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
      const out = this.handle(method, args, this.apps.get(token) ?? LEAKSTOP_BOT);
      if (this.loseNextAnswer.delete(method)) return req.socket.destroy();
      answer(200, out);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
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
