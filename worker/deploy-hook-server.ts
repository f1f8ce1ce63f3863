import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeployRecord {
  id: string;
  idempotencyKey: string;
  body: unknown;
  posts: number;
  polls: number;
}

/**
 * A small deploy hook that speaks the contract of providers/http-deploy-hook: the demo's "service"
 * and the tests' witness of how often a redeploy really happened. A repeated Idempotency-Key gets
 * the same deploy back. `gate` lets a test hold deploys "running" until it says so.
 */
export class DeployHookServer {
  readonly deploys = new Map<string, DeployRecord>();
  onPost?: (d: DeployRecord) => void;
  onPoll?: (d: DeployRecord) => void;
  /** Answers a POST instead of the deploy, when set (tests of failing hooks). */
  refuse?: (d: { idempotencyKey: string }) => Promise<{ status: number; body: string } | undefined>;
  /** While false, deploys stay "running". */
  gate = true;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && req.url === '/deploy') {
        const key = String(req.headers['idempotency-key'] ?? '');
        if (!key) return json(400, { error: 'Idempotency-Key header is required' });
        const refusal = await this.refuse?.({ idempotencyKey: key });
        if (refusal) {
          res.writeHead(refusal.status, { 'content-type': 'text/plain' });
          return res.end(refusal.body);
        }
        let d = [...this.deploys.values()].find((x) => x.idempotencyKey === key);
        if (!d) {
          d = { id: `dep-${this.deploys.size + 1}`, idempotencyKey: key, body: JSON.parse(await readBody(req)), posts: 0, polls: 0 };
          this.deploys.set(d.id, d);
        }
        d.posts++;
        this.onPost?.(d);
        return json(202, { id: d.id, statusUrl: `/deploys/${d.id}` });
      }
      const m = req.method === 'GET' && /^\/deploys\/([\w-]+)$/.exec(req.url ?? '');
      const d = m ? this.deploys.get(m[1]!) : undefined;
      if (!d) return json(404, { error: 'no such deploy' });
      d.polls++;
      this.onPoll?.(d);
      return json(200, { status: this.gate ? 'succeeded' : 'running' });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/deploy`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body || '{}'));
    req.on('error', reject);
  });
}
