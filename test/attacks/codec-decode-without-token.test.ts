import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec } from '../../worker/codec';
import { codecKeys, scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { startIngress, type Ingress } from '../webhooks/harness';

// With no LEAKSTOP_CODEC_TOKENS (the local default), the codec server decodes for the Temporal UI
// on this machine. The attacker is another local user, or anything a same-host proxy forwards:
// neither is the UI in a browser, and neither may read decrypted histories.

let client: Client;
useTemporal((c) => (client = c));

const UI = 'http://localhost:8233'; // the default allowed origin
const SECRET_TEXT = 'billing-bot-owner-record';
let ingress: Ingress;
let body: string;

beforeAll(async () => {
  ingress = await startIngress({ client, taskQueue: uniqueQueue('codec'), env: { LEAKSTOP_DATA_DIR: scratchDir('codec') } });
  const [enc] = await new AesGcmCodec(codecKeys()).encode([defaultPayloadConverter.toPayload({ owner: SECRET_TEXT })]);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(enc!.metadata!).map(([k, v]) => [k, b64(v!)])), data: b64(enc!.data!) }] });
});
afterAll(() => ingress.close());

const decode = (headers: Record<string, string>) => fetch(ingress.url('/codec/decode'), { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const refused = { status: 401, body: { error: 'a bearer token is required (LEAKSTOP_CODEC_TOKENS)' } };
const answer = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> });

test('a loopback caller that sends no Origin (curl, a script, another local user) is refused', async () => {
  expect(await answer(await decode({}))).toEqual(refused);
});

test('a request forwarded by a same-host proxy is refused, even with the UI origin', async () => {
  for (const [name, value] of [['x-forwarded-for', '203.0.113.7'], ['forwarded', 'for=203.0.113.7'], ['x-real-ip', '203.0.113.7']]) {
    expect(await answer(await decode({ origin: UI, [name!]: value! }))).toEqual(refused);
  }
});

test('a page from another origin is refused', async () => {
  expect(await answer(await decode({ origin: 'https://evil.example' }))).toEqual(refused);
});

test('the Temporal UI itself (loopback, its origin, no proxy) still decodes', async () => {
  const res = await decode({ origin: UI });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain(Buffer.from(JSON.stringify({ owner: SECRET_TEXT })).toString('base64'));
});
