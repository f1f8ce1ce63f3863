import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { discardUnread, HttpError, sendJson } from './respond';

/** A route handles a request and returns true, or returns false to let the next one try. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

/**
 * Requests the ingress serves at once. Until a route has checked a request's signature it may hold
 * the request's body (up to 256 KiB for a webhook, 128 KiB for Slack, 4 MiB for the codec server
 * once its token is checked): 64 bounds what a flood of slow uploads can pin to ~16 MiB of webhook
 * bodies, while scanners and Slack, which send a few requests a minute, never come near it.
 */
export const MAX_IN_FLIGHT = 64;
/** What a refused sender is told to wait, in seconds. */
const RETRY_AFTER_SECONDS = 5;
/**
 * A request's headers and body must arrive within this long: a slow sender holds its slot no longer
 * (Node checks every 30 s, so up to twice this). Legitimate bodies are at most a few hundred KiB.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The ingress HTTP server: health, the codec server, scanner webhooks and Slack mount here as routes.
 * A route's unexpected error becomes a plain 500; its details go to the (redacting) log only.
 */
export function createIngress(o: {
  routes: Route[];
  healthy: () => boolean;
  log?: Logger;
  maxInFlight?: number;
  /** Told every answer's path and status (metrics); never the body. */
  observe?: (path: string | undefined, status: number) => void;
}): Server {
  const health: Route = (req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') return false;
    const ok = o.healthy();
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    return true;
  };
  const maxInFlight = o.maxInFlight ?? MAX_IN_FLIGHT;
  let inFlight = 0;
  // Said once per flood, not once per refused request: the log must not become the flood.
  let saidFull = false;
  return createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, async (req, res) => {
    if (o.observe) res.once('finish', () => o.observe!(req.url, res.statusCode));
    try {
      // Health reads no body and must answer during a flood, or an orchestrator restarts a working ingress.
      if (await health(req, res)) return;
      if (inFlight >= maxInFlight) {
        if (!saidFull) o.log?.warn(`ingress full (${maxInFlight} requests in flight): refusing new ones with 503 until it drains`);
        saidFull = true;
        return sendJson(res, 503, { error: 'too many requests in flight; retry later' }, discardUnread(req, { 'retry-after': String(RETRY_AFTER_SECONDS) }));
      }
      inFlight++;
      // 'close' comes once per response, whether it was sent or the connection dropped first.
      res.once('close', () => {
        inFlight--;
        if (inFlight <= maxInFlight / 2) saidFull = false;
      });
      for (const route of o.routes) if (await route(req, res)) return;
      sendJson(res, 404, { error: `no route for ${req.method} ${req.url?.split('?')[0]}` });
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, ...(err.fields ? { fields: err.fields } : {}) }, discardUnread(req, {}));
      o.log?.error({ err, path: req.url?.split('?')[0] }, 'ingress route failed');
      sendJson(res, 500, { error: 'internal error' });
    }
  });
}
