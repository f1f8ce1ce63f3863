import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do to the next requests whose body or path matches. */
export interface Fault {
  match: RegExp;
  times: number;
  kind: 'throttle' | 'server-error' | 'slow' | 'too-many' | 'denied';
  /** For slow: how long to hold the answer. */
  delayMs?: number;
}

/** A request the proxy passed on, with the status the server answered. */
export interface PassedCall {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/**
 * A local HTTP proxy in front of a real server (moto) that injects the faults real providers have:
 * AWS Throttling, 500s, 429 with Retry-After, answers slower than the activity timeout. Everything else
 * passes through untouched, so the real SDKs talk to the real emulator.
 */
export class FaultProxy {
  readonly injected: { kind: Fault['kind']; what: string }[] = [];
  /** Requests matching `recordMatching`'s pattern, with what the server answered (to count calls, read what came back). */
  readonly recorded: { request: string; response: string }[] = [];
  private record?: RegExp;
  private observers: ((call: PassedCall) => void)[] = [];
  private readonly faults: Fault[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  inject(f: Fault): void {
    this.faults.push({ ...f });
  }

  /** From now on, keeps every request whose path or body matches, with the answer (`recorded`). */
  recordMatching(match: RegExp): void {
    this.record = match;
  }

  /** Calls `see` with every request passed on to the server, once its answer's status is known. */
  observe(see: (call: PassedCall) => void): void {
    this.observers.push(see);
  }

  /** No more faults: the provider works again. */
  clear(): void {
    this.faults.length = 0;
  }

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const what = `${req.url} ${body.toString('utf8').slice(0, 200)}`;
        const fault = this.faults.find((f) => f.times > 0 && f.match.test(what));
        if (fault) {
          fault.times--;
          this.injected.push({ kind: fault.kind, what: /Action=(\w+)/.exec(what)?.[1] ?? req.url ?? '' });
          if (fault.kind === 'throttle') {
            res.writeHead(400, { 'content-type': 'text/xml' });
            return res.end('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>');
          }
          if (fault.kind === 'denied') {
            res.writeHead(403, { 'content-type': 'text/xml' });
            return res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform this action</Message></Error></ErrorResponse>');
          }
          if (fault.kind === 'server-error') {
            res.writeHead(500, { 'content-type': 'text/xml' });
            return res.end('<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>');
          }
          if (fault.kind === 'too-many') {
            res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' });
            return res.end('slow down');
          }
          await new Promise((r) => setTimeout(r, fault.delayMs ?? 15_000)); // slow: then pass it on
        }
        const upstream = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            for (const see of this.observers) see({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status: up.statusCode ?? 0 });
            res.writeHead(up.statusCode ?? 502, up.headers);
            if (this.record?.test(what)) {
              const answer: Buffer[] = [];
              up.on('data', (c: Buffer) => answer.push(c));
              up.on('end', () => this.recorded.push({ request: `${req.url} ${body.toString('utf8')}`, response: Buffer.concat(answer).toString('utf8') }));
            }
            up.pipe(res);
          },
        );
        upstream.on('error', () => (res.headersSent ? res.end() : res.writeHead(502).end()));
        upstream.end(body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
