import { statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecServer } from '../triggers/codec-server';
import { createIngress } from '../triggers/http';
import { AesGcmCodec, loadCodecKeys } from '../worker/codec';
import { scratchDir } from './support/env';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const before = new AesGcmCodec({ active: 'k1', keys: { k1: oldKey } });
const rotated = new AesGcmCodec({ active: 'k2', keys: { k1: oldKey, k2: newKey } });
const value = { incidentId: 'leak-aws-0123456789abcdef', owner: 'billing-bot' };
const payload = () => defaultPayloadConverter.toPayload(value);
const text = (p: { data?: Uint8Array | null }) => Buffer.from(p.data ?? []).toString('utf8');

test('payloads are encrypted with the active key and its id, and decrypt back', async () => {
  const [enc] = await before.encode([payload()]);
  expect(Buffer.from(enc!.metadata!['encryption-key-id']!).toString()).toBe('k1');
  expect(text(enc!)).not.toContain('billing-bot');
  const [dec] = await before.decode([enc!]);
  expect(defaultPayloadConverter.fromPayload(dec!)).toEqual(value);
});

test('after rotation, old histories still decrypt; a key that was dropped is named in the error', async () => {
  const [old] = await before.encode([payload()]);
  const [fresh] = await rotated.encode([payload()]);
  expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
  expect((await rotated.decode([old!, fresh!])).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([value, value]);
  await expect(new AesGcmCodec({ active: 'k2', keys: { k2: newKey } }).decode([old!])).rejects.toThrow('unknown key "k1"');
});

test('a tampered payload does not decrypt', async () => {
  const [enc] = await before.encode([payload()]);
  enc!.data![20] ^= 1;
  await expect(before.decode([enc!])).rejects.toThrow();
});

test('the local default generates one owner-only key file and reuses it; LEAKSTOP_CODEC_KEYS wins', () => {
  const dir = scratchDir('keys');
  const said: string[] = [];
  const first = loadCodecKeys(dir, {}, (s) => said.push(s));
  const again = loadCodecKeys(dir, {}, (s) => said.push(s));
  expect(again).toEqual(first);
  expect(said).toHaveLength(1);
  expect(said[0]).toMatch(/generated a payload encryption key .* \(owner-only\)/);
  expect(statSync(`${dir}/codec-keys.json`).mode & 0o777).toBe(0o600);
  const env = { LEAKSTOP_CODEC_KEYS: `new:${newKey.toString('base64')},old:${oldKey.toString('base64')}` };
  expect(loadCodecKeys(dir, env).active).toBe('new');
  expect(() => loadCodecKeys(dir, { LEAKSTOP_CODEC_KEYS: 'nokey' })).toThrow('LEAKSTOP_CODEC_KEYS: entry 1 must be id:base64key');
});

describe('the codec server', () => {
  let server: Server;
  let base: string;
  const ui = 'http://localhost:8233';
  async function listen(tokens: string[]) {
    server = createIngress({ healthy: () => true, routes: [codecServer({ codec: rotated, tokens, origins: [ui] })] });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  // The Temporal UI's request: proto3 JSON payloads (base64 metadata values and data), X-Namespace.
  const uiBody = async () => {
    const [enc] = await before.encode([payload()]);
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    return JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(enc!.metadata!).map(([k, v]) => [k, b64(v!)])), data: b64(enc!.data!) }] });
  };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: ui, ...headers } });

  test('decodes for an authorized caller, in the UI request shape, with CORS for the UI', async () => {
    await listen(['s3cret-token']);
    const res = await post('/codec/decode', await uiBody(), { authorization: 'Bearer s3cret-token' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ui);
    const { payloads } = (await res.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toEqual(value);
  });

  test('encode then decode round-trips', async () => {
    await listen(['t']);
    const plain = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hi"').toString('base64') }] });
    const encoded = await (await post('/codec/encode', plain, { authorization: 'Bearer t' })).text();
    expect(encoded).not.toContain(Buffer.from('"hi"').toString('base64'));
    const decoded = (await (await post('/codec/decode', encoded, { authorization: 'Bearer t' })).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toBe('"hi"');
  });

  test('refuses callers without a token or with a wrong one, and answers the UI preflight', async () => {
    await listen(['s3cret-token']);
    expect((await post('/codec/decode', await uiBody())).status).toBe(401);
    const wrong = await post('/codec/decode', await uiBody(), { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('billing-bot');
    const pre = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: ui, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const evil = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('without tokens (local default) it answers only the UI: loopback, its origin, no proxy', async () => {
    await listen([]);
    expect((await post('/codec/decode', await uiBody())).status).toBe(200);
    const evil = await post('/codec/decode', await uiBody(), { origin: 'https://evil.example' });
    expect(evil.status).toBe(401);
    expect(await evil.json()).toEqual({ error: 'a bearer token is required (LEAKSTOP_CODEC_TOKENS)' });
  });

  test('bad bodies get a 4xx that names the problem', async () => {
    await listen(['t']);
    const res = await post('/codec/decode', '{"nope":1}', { authorization: 'Bearer t' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'payloads: must be an array', fields: ['payloads'] });
    expect((await post('/codec/decode', 'not json', { authorization: 'Bearer t' })).status).toBe(400);
  });
});
