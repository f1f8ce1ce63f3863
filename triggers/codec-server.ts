import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Route } from './http';
import { HttpError, readBody, sendJson } from './respond';
import { sameSecret } from './webhooks/signatures';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Bearer tokens allowed to decode. Empty: only the Temporal UI on this machine (local default; see `fromLocalUi`). */
  tokens: string[];
  /** Origins of the Temporal UI allowed by CORS. */
  origins: string[];
}

/**
 * The codec server the Temporal UI (and `temporal --codec-endpoint`) calls to show encrypted
 * payloads to people allowed to see them: POST /codec/decode and /codec/encode with
 * `{payloads: [{metadata: {k: base64}, data: base64}]}`.
 */
export function codecServer(o: CodecServerOptions): Route {
  return async (req, res) => {
    const path = req.url?.split('?')[0];
    if (path !== '/codec/decode' && path !== '/codec/encode') return false;
    const cors = corsHeaders(req, o.origins);
    if (req.method === 'OPTIONS') {
      res.writeHead(cors ? 204 : 403, cors ?? {});
      res.end();
      return true;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    const refusal = authorize(req, o);
    if (refusal) return sendJson(res, refusal.status, { error: refusal.message }, cors ?? {}), true;
    const payloads = parsePayloads(await readBody(req, 4 * 1024 * 1024));
    const out = path === '/codec/decode' ? await o.codec.decode(payloads) : await o.codec.encode(payloads);
    send(res, { payloads: out.map(toJson) }, cors ?? {});
    return true;
  };
}

// Decoded payloads are what authorized people asked to see: sent as is, not through redaction.
function send(res: ServerResponse, body: unknown, headers: Record<string, string>) {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function corsHeaders(req: IncomingMessage, origins: string[]): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (!origin || !origins.includes(origin)) return undefined;
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, authorization, x-namespace',
    'access-control-allow-credentials': 'true',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

function authorize(req: IncomingMessage, o: CodecServerOptions): { status: number; message: string } | undefined {
  if (o.tokens.length > 0) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return { status: 401, message: 'authorization: a Bearer token is required' };
    const given = m[1]!;
    // Every token is compared, by digest: neither which token matched nor any token's length shows in the time taken.
    const ok = o.tokens.reduce((found, token) => sameSecret(given, token) || found, false);
    return ok ? undefined : { status: 403, message: 'authorization: token not allowed to use the codec' };
  }
  return fromLocalUi(req, o.origins) ? undefined : { status: 401, message: 'a bearer token is required (LEAKSTOP_CODEC_TOKENS)' };
}

const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/**
 * Without tokens, only what looks like the embedded Temporal UI in a browser on this machine: a
 * loopback connection, the UI's origin (browsers always send Origin on these cross-origin POSTs), and
 * no proxy headers (a same-host proxy connects from loopback on behalf of anyone). A local program can
 * still forge all three: on a machine shared with other users, set LEAKSTOP_CODEC_TOKENS.
 */
function fromLocalUi(req: IncomingMessage, origins: string[]): boolean {
  const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
  const origin = req.headers.origin;
  return loopback && origin !== undefined && origins.includes(origin) && !PROXY_HEADERS.some((h) => h in req.headers);
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function parsePayloads(body: Buffer): Payload[] {
  let parsed: { payloads?: JsonPayload[] };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (!Array.isArray(parsed.payloads)) throw new HttpError(400, 'payloads: must be an array', ['payloads']);
  return parsed.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  }));
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
