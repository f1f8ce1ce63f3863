import crypto from 'node:crypto';
import type { Client } from '@temporalio/client';
import { scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { startIngress, type Ingress } from '../webhooks/harness';

// The attacker guesses codec tokens and watches how the server compares them: a comparison that
// stops early for a wrong length tells the token's length. Timing is not asserted here (it is noise
// on a shared machine); the work the comparison does is: the same, whatever was sent.

let client: Client;
useTemporal((c) => (client = c));

const TOKEN = 'c0dec-token-4f9a1b7e';
let ingress: Ingress;
beforeAll(async () => {
  ingress = await startIngress({ client, taskQueue: uniqueQueue('codec-token'), env: { LEAKSTOP_DATA_DIR: scratchDir('codec-token'), LEAKSTOP_CODEC_TOKENS: `${TOKEN},second-token` } });
});
afterAll(async () => {
  await ingress.close();
  jest.restoreAllMocks();
});

/** The status and body of a decode with `token`, and the lengths of the buffers compared meanwhile. */
async function tryToken(token: string) {
  const compare = jest.spyOn(crypto, 'timingSafeEqual');
  compare.mockClear();
  const res = await fetch(ingress.url('/codec/decode'), { method: 'POST', body: '{"payloads": []}', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  const compared = compare.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]);
  compare.mockRestore();
  return { status: res.status, body: await res.json(), compared };
}

test('a wrong token of the same length and one of another length get the same 403 after the same comparisons', async () => {
  const sameLength = await tryToken(TOKEN.replace(/.$/, 'X'));
  const otherLength = await tryToken(`${TOKEN}-longer`);

  expect(sameLength.status).toBe(403);
  expect(otherLength).toEqual(sameLength);
  expect(sameLength.compared.length).toBeGreaterThanOrEqual(2); // every configured token, not the first that fits
  expect(sameLength.compared.every(([a, b]) => a === b)).toBe(true);
});

test('the right token decodes', async () => {
  expect((await tryToken(TOKEN)).status).toBe(200);
  expect((await tryToken('second-token')).status).toBe(200);
});
