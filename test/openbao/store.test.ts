import { randomUUID } from 'node:crypto';
import { parseInventory } from '../../providers';
import { OpenBaoKvStore } from '../../providers/openbao/store';
import type { ResolvedConsumer } from '../../domain/schemas';
import { PermanentError, type IncidentContext } from '../../providers/types';
import { testEnv } from '../support/env';

// The OpenBao KV v2 store against a real OpenBao dev server (the global set-up's): a field merged
// into a secret with check-and-set, one version per change however often a write is retried, other
// writers never overwritten, and refusals said as permanent with OpenBao's own words.

const TOKEN_ENV = 'TEST_OPENBAO_TOKEN';
const env = () => ({ [TOKEN_ENV]: testEnv().openbao.token });
const store = () => new OpenBaoKvStore(env());
const ctx: IncidentContext = { incidentId: 'leak-aws-0123456789abcdef', startedAt: new Date().toISOString(), policy: {} as never };
const base = `store-${randomUUID().slice(0, 8)}`;

function consumer(key: string, field = 'secretAccessKey', name = key, tokenEnv = TOKEN_ENV): ResolvedConsumer {
  return { name, store: 'bao', key, field, storeSpec: { kind: 'openbao-kv', address: testEnv().openbao.address, mount: 'secret', tokenEnv } };
}

async function bao(method: string, path: string, body?: unknown, token = testEnv().openbao.token) {
  const res = await fetch(`${testEnv().openbao.address}/v1/${path}`, { method, headers: { 'x-vault-token': token }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.text().then((t) => (t ? JSON.parse(t) : {}))) as any };
}
const versions = async (path: string) => (await bao('GET', `secret/metadata/${path}`)).body.data.current_version as number;

test('a field is written once per change: a retried write finds its value and makes no second version', async () => {
  const c = consumer(`${base}/api#AWS_SECRET_ACCESS_KEY`);
  expect(await store().write(c, 'first-value', ctx)).toEqual({ consumer: c.name, store: 'bao', key: c.key, version: '1', changed: true });
  expect(await store().write(c, 'first-value', ctx)).toEqual({ consumer: c.name, store: 'bao', key: c.key, version: '1', changed: false });
  expect(await store().read(c)).toBe('first-value');
  expect(await versions(`${base}/api`)).toBe(1);
});

test('other fields of the secret are kept, whoever wrote them, and concurrent consumers of one secret are merged, never lost', async () => {
  const path = `${base}/shared`;
  await bao('POST', `secret/data/${path}`, { data: { DATABASE_URL: 'kept-as-is' } });
  const fields = ['A', 'B', 'C', 'D', 'E'];
  await Promise.all(fields.map((f) => store().write(consumer(`${path}#${f}`, 'secretAccessKey', `c-${f}`), `value-${f}`, ctx)));
  const data = (await bao('GET', `secret/data/${path}`)).body.data.data;
  expect(data).toEqual({ DATABASE_URL: 'kept-as-is', A: 'value-A', B: 'value-B', C: 'value-C', D: 'value-D', E: 'value-E' });
  expect(await versions(path)).toBe(1 + fields.length);
});

test('a consumer without a field merges a JSON object (field json); a plain value there is refused as permanent', async () => {
  const c = consumer(`${base}/env`, 'json');
  await store().write(c, JSON.stringify({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'v' }), ctx);
  expect(JSON.parse((await store().read(c))!)).toEqual({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'v' });
  const err = await store().write(consumer(`${base}/plain`), 'just-a-value', ctx).catch((e) => e);
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toMatch(/names no field \(path#field\)/);
  expect(err.message).not.toContain('just-a-value');
});

test('refusals are permanent and say why: no token, a token that may not write, a path that is not one', async () => {
  const noToken = await new OpenBaoKvStore({}).write(consumer(`${base}/x#F`), 'v', ctx).catch((e) => e);
  expect(noToken).toMatchObject({ name: 'PermanentError', reason: 'denied' });
  expect(noToken.message).toContain(`${TOKEN_ENV} is not set`);

  await bao('PUT', `sys/policies/acl/${base}-read`, { policy: `path "secret/data/${base}/*" { capabilities = ["read"] }` });
  const readOnly = (await bao('POST', 'auth/token/create', { policies: [`${base}-read`], ttl: '5m' })).body.auth.client_token as string;
  const denied = await new OpenBaoKvStore({ RO_TOKEN: readOnly }).write(consumer(`${base}/api#F`, 'secretAccessKey', 'ro', 'RO_TOKEN'), 'v', ctx).catch((e) => e);
  expect(denied).toMatchObject({ name: 'PermanentError', reason: 'denied' });
  expect(denied.message).toMatch(/^OpenBao .*: 403 .*may not write this path/);

  const bad = await store().write(consumer('../etc#F'), 'v', ctx).catch((e) => e);
  expect(bad).toMatchObject({ name: 'PermanentError', reason: 'invalid' });
});

test('the inventory spec: an address over plain http to another host is refused, the token comes by name', () => {
  const inv = (address: string) => `stores: { bao: { kind: openbao-kv, address: "${address}" } }`;
  expect(parseInventory(inv('https://bao.internal:8200')).stores.bao).toEqual({ kind: 'openbao-kv', address: 'https://bao.internal:8200', mount: 'secret', tokenEnv: 'LEAKSTOP_OPENBAO_TOKEN' });
  expect(() => parseInventory(inv('http://bao.internal:8200'))).toThrow(/stores\.bao\.address: must be https:\/\//);
  expect(() => parseInventory('stores: { bao: { kind: openbao-kv, address: "https://b", token: s.abc } }')).toThrow(/token/);
});
