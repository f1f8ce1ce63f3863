import { request } from 'node:http';
import type { Client } from '@temporalio/client';
import { MAX_IN_FLIGHT } from '../../triggers/http';
import { scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { startIngress } from '../webhooks/harness';

// The attacker opens many uploads and sends their bodies slowly: each one holds a buffer on the
// ingress until the signature can be checked. The ingress takes a bounded number at once.

let client: Client;
useTemporal((c) => (client = c));

/** Requests the ingress takes at once, as worker/main.ts builds it. */
const CAP = MAX_IN_FLIGHT;

interface SlowUpload {
  /** Sends the rest of the body and resolves with the status the ingress answered. */
  finish(): Promise<number>;
}

/**
 * Starts an upload and sends part of its body. With `Expect: 100-continue`, Node answers "continue"
 * only as it hands the request to the ingress's handler: once it arrives, the ingress holds it.
 */
function slowUpload(url: string): Promise<SlowUpload> {
  const body = JSON.stringify({ padding: 'x'.repeat(1000) });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' } });
    const answered = new Promise<number>((done) =>
      req.on('response', (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      }),
    );
    req.on('error', reject);
    req.on('continue', () => {
      req.write(body.slice(0, 100));
      resolve({ finish: () => (req.end(body.slice(100)), answered) });
    });
    req.flushHeaders();
  });
}

test('one upload more than the ingress takes at once gets 503 with Retry-After; the slots come back', async () => {
  const ingress = await startIngress({ client, taskQueue: uniqueQueue('flood'), env: { LEAKSTOP_DATA_DIR: scratchDir('flood'), LEAKSTOP_GENERIC_WEBHOOK_SECRET: 'flood-secret' } });
  try {
    const url = ingress.url('/webhooks/generic');
    const slow = await Promise.all(Array.from({ length: CAP }, () => slowUpload(url)));

    const extra = await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(extra.status).toBe(503);
    expect(extra.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await extra.json()).toEqual({ error: expect.stringMatching(/too many requests/) });
    // Health has no body to read: orchestrators still see the ingress alive during the flood.
    expect((await fetch(ingress.url('/healthz'))).status).toBe(200);

    // Each slow upload gets its own answer (unsigned: 401), and its slot is free again afterwards.
    expect(new Set(await Promise.all(slow.map((s) => s.finish())))).toEqual(new Set([401]));
    expect((await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  } finally {
    await ingress.close();
  }
});
