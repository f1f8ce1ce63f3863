import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an issuer Leakstop cannot call (Google's API-key check): it answers 200 for keys it
 * holds live and 403 for the rest, given as `?key=` like Google's APIs. People "revoke" and "create"
 * keys here the way they would in the issuer's console; the probe is the only caller.
 */
export class FakeIssuer {
  private server?: Server;
  private readonly live = new Set<string>();
  /** Every key the probe asked about, in order (the canary reads nothing else from here). */
  readonly asked: string[] = [];
  url = '';

  issue(key: string): string {
    this.live.add(key);
    return key;
  }

  revoke(key: string): void {
    this.live.delete(key);
  }

  isLive(key: string): boolean {
    return this.live.has(key);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? '';
      this.asked.push(key);
      res.writeHead(this.live.has(key) ? 200 : 403, { 'content-type': 'application/json' }).end(this.live.has(key) ? '{"status":"OK"}' : '{"error":{"code":403,"status":"PERMISSION_DENIED"}}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** A key in Google's API-key shape (AIza + 35). */
export const googleApiKey = () => `AIza${Array.from({ length: 35 }, () => KEY_CHARS[Math.floor(Math.random() * KEY_CHARS.length)]).join('')}`;
