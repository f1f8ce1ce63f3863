import { createServer, type Server } from 'node:http';

/**
 * The ingress HTTP server. For now it answers health checks; scanner webhooks, Slack and the codec
 * server mount here as they arrive.
 */
export function createIngress(o: { healthy: () => boolean }): Server {
  return createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      const ok = o.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `no route for ${req.method} ${req.url?.split('?')[0]}` }));
  });
}
