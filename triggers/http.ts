import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HttpError, sendJson } from './respond';

/** A route handles a request and returns true, or returns false to let the next one try. */
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

/**
 * The ingress HTTP server: health, the codec server, scanner webhooks and Slack mount here as routes.
 * A route's unexpected error becomes a plain 500; its details go to the (redacting) log only.
 */
export function createIngress(o: { routes: Route[]; healthy: () => boolean; log?: Logger }): Server {
  const health: Route = (req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') return false;
    const ok = o.healthy();
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    return true;
  };
  const routes = [health, ...o.routes];
  return createServer(async (req, res) => {
    try {
      for (const route of routes) if (await route(req, res)) return;
      sendJson(res, 404, { error: `no route for ${req.method} ${req.url?.split('?')[0]}` });
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, ...(err.fields ? { fields: err.fields } : {}) });
      o.log?.error({ err, path: req.url?.split('?')[0] }, 'ingress route failed');
      sendJson(res, 500, { error: 'internal error' });
    }
  });
}
