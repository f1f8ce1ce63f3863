import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { catalog, parseInventory } from '../../providers';
import { discover, placeOf } from '../../providers/discovery';
import { KubeSecretStore } from '../../providers/kubernetes/secret-store';
import type { ResolvedConsumer } from '../../domain/schemas';
import { leakedKey, scratchDir, testEnv } from '../support/env';
import { incidentContext, thrown } from '../support/fixtures';
import { core, kubeConfig, namespace, providersYaml, secret, secretData, TOKEN_ENV } from './cluster';

// The Kubernetes Secret store against a real kube-apiserver (the global set-up's, RBAC on): one data key
// patched, the others kept, a retry changing nothing; refusals said as permanent with the field or the
// API server's words; and discovery listing the Secrets of the namespaces it is given, and no others.

const env = () => ({ [TOKEN_ENV]: testEnv().kube.token });
const store = (e: NodeJS.ProcessEnv = env()) => new KubeSecretStore(kubeConfig(), e);
const ctx = incidentContext('aws');

function consumer(ns: string, key: string, field = 'secretAccessKey', name = 'api'): ResolvedConsumer {
  return { name, store: 'k8s', key, field, storeSpec: { kind: 'kubernetes-secret', cluster: 'test', namespace: ns } };
}
const resourceVersion = async (ns: string, name: string) => (await core().readNamespacedSecret({ namespace: ns, name })).metadata!.resourceVersion!;

test('one data key is patched, the others kept; a retried write changes nothing and reports the same resourceVersion', async () => {
  const ns = await namespace('store');
  await secret(ns, 'api', { AWS_SECRET_ACCESS_KEY: 'old-value', LOG_LEVEL: 'info' });
  const c = consumer(ns, 'api#AWS_SECRET_ACCESS_KEY');
  const first = await store().write(c, 'new-value', ctx);
  expect(first).toEqual({ consumer: 'api', store: 'k8s', key: c.key, version: await resourceVersion(ns, 'api'), changed: true });
  expect(await store().write(c, 'new-value', ctx)).toEqual({ ...first, changed: false });
  expect(await resourceVersion(ns, 'api')).toBe(first.version);
  expect(await secretData(ns, 'api')).toEqual({ AWS_SECRET_ACCESS_KEY: 'new-value', LOG_LEVEL: 'info' });
  expect(await store().read(c)).toBe('new-value');
  expect(await store().read(consumer(ns, 'missing#X'))).toBeUndefined();
});

test('a consumer without a data key merges a JSON object into the Secret; concurrent consumers of one Secret are merged, never lost', async () => {
  const ns = await namespace('merge');
  await secret(ns, 'env', { DATABASE_URL: 'kept-as-is' });
  const json = consumer(ns, 'env', 'json');
  expect(await store().write(json, JSON.stringify({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'v' }), ctx)).toMatchObject({ changed: true });
  expect(JSON.parse((await store().read(json))!)).toEqual({ DATABASE_URL: 'kept-as-is', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'v' });
  // Five writers at once, each having read the Secret before the others patched it.
  const keys = ['A', 'B', 'C', 'D', 'E'];
  await Promise.all(keys.map((k) => store().write(consumer(ns, `env#${k}`, 'secretAccessKey', `c-${k}`), `value-${k}`, ctx)));
  expect(await secretData(ns, 'env')).toEqual({ DATABASE_URL: 'kept-as-is', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'v', A: 'value-A', B: 'value-B', C: 'value-C', D: 'value-D', E: 'value-E' });
});

test('bad keys and values, missing or immutable Secrets and refused tokens are permanent errors that say why, never with the value', async () => {
  const ns = await namespace('refuse');
  await secret(ns, 'frozen', { K: 'old' }, { immutable: true });
  const refused = (key: string, value = 'the-new-value', field = 'secretAccessKey', e?: NodeJS.ProcessEnv) => thrown(() => store(e).write(consumer(ns, key, field), value, ctx));
  expect(await refused('Bad_Name#K')).toMatchObject({ name: 'PermanentError', reason: 'invalid', message: expect.stringContaining('"Bad_Name#K" does not start with a Secret name') });
  expect(await refused('api#bad key')).toMatchObject({ reason: 'invalid', message: expect.stringContaining('"bad key" is not a Secret data key') });
  expect(await refused('api#a#b')).toMatchObject({ reason: 'invalid', message: expect.stringContaining('at most one #') });
  const plain = await refused('api', 'just-a-value', 'json');
  expect(plain).toMatchObject({ reason: 'invalid', message: expect.stringContaining('names no data key (secret#DATA_KEY)') });
  expect(plain.message).not.toContain('just-a-value');
  expect(await refused('api', JSON.stringify({ 'no spaces': 'v' }), 'json')).toMatchObject({ reason: 'invalid', message: expect.stringContaining('entry "no spaces" is not a Secret data key') });
  expect(await refused('absent#K')).toMatchObject({ reason: 'not-found', message: `Kubernetes test Secret ${ns}/absent: 404 NotFound: secrets "absent" not found` });
  const frozen = await refused('frozen#K');
  expect(frozen).toMatchObject({ reason: 'invalid', message: expect.stringContaining('the Secret is immutable') });
  expect(await secretData(ns, 'frozen')).toEqual({ K: 'old' });
  // A token the API server knows but RBAC grants nothing: the server's refusal, said as denied.
  const denied = await refused('frozen#K', 'v', 'secretAccessKey', { [TOKEN_ENV]: testEnv().kube.deniedToken });
  expect(denied).toMatchObject({ reason: 'denied', message: expect.stringContaining(`403 Forbidden: secrets "frozen" is forbidden: User "nobody" cannot get resource "secrets"`) });
  const unknownToken = await refused('frozen#K', 'v', 'secretAccessKey', { [TOKEN_ENV]: 'not-a-token' });
  expect(unknownToken).toMatchObject({ reason: 'denied', message: `Kubernetes test Secret ${ns}/frozen: 401 Unauthorized (the cluster refused Leakstop's token)` });
  expect(await refused('frozen#K', 'v', 'secretAccessKey', {})).toMatchObject({ name: 'ConfigError', message: `providers.kubernetes.clusters.test.tokenEnv: the environment variable ${TOKEN_ENV} is not set` });
  const other = await thrown(() => store().write({ ...consumer(ns, 'frozen#K'), storeSpec: { kind: 'kubernetes-secret', cluster: 'prod', namespace: ns } }, 'v', ctx));
  expect(other).toMatchObject({ name: 'ConfigError', message: 'providers.kubernetes.clusters.prod: no such cluster (configured: test)' });
  for (const e of [frozen, denied, other]) expect(e.message).not.toContain('the-new-value');
});

test('the token may come from a file, read at every use, and the CA inline', async () => {
  const ns = await namespace('file');
  await secret(ns, 'api', { K: 'old' });
  const tokenFile = path.join(scratchDir('kube-token'), 'token');
  writeFileSync(tokenFile, `${testEnv().kube.deniedToken}\n`);
  const fromFile = new KubeSecretStore(kubeConfig({ tokenEnv: undefined, tokenFile, caFile: undefined, ca: readFileSync(testEnv().kube.caFile, 'utf8') }), {});
  expect(await thrown(() => fromFile.write(consumer(ns, 'api#K'), 'new', ctx))).toMatchObject({ reason: 'denied' });
  writeFileSync(tokenFile, `${testEnv().kube.token}\n`); // rotated: the next call uses the new one
  expect(await fromFile.write(consumer(ns, 'api#K'), 'new', ctx)).toMatchObject({ changed: true });
  expect(await secretData(ns, 'api')).toEqual({ K: 'new' });
});

test('the inventory is checked by field: cluster settings, names, and stores naming a cluster that is not configured', () => {
  const cluster = (fields: string) => `providers: { kubernetes: { clusters: { test: { ${fields} } } } }`;
  const ca = 'caFile: /etc/ca.crt';
  expect(() => parseInventory(cluster(`server: "http://10.0.0.1:6443", ${ca}, tokenEnv: T`))).toThrow(/providers\.kubernetes\.clusters\.test\.server: must be an https:\/\/ URL/);
  expect(() => parseInventory(cluster(`server: "https://k8s.internal", ${ca}`))).toThrow(/providers\.kubernetes\.clusters\.test: give the token by reference: tokenEnv or tokenFile/);
  expect(() => parseInventory(cluster(`server: "https://k8s.internal", ${ca}, token: abc`))).toThrow(/providers\.kubernetes\.clusters\.test/);
  expect(() => parseInventory(cluster('server: "https://k8s.internal", tokenEnv: T'))).toThrow(/give the cluster CA: ca \(PEM\) or caFile/);
  expect(() => parseInventory(cluster(`server: "https://k8s.internal", ${ca}, tokenEnv: lower`))).toThrow(/tokenEnv: must be an environment variable name/);
  expect(() => parseInventory('stores: { k8s: { kind: kubernetes-secret, cluster: test, namespace: Apps } }')).toThrow(/stores\.k8s\.namespace: must be a namespace name/);
  expect(() => parseInventory('stores: { k8s: { kind: kubernetes-secret, cluster: test, namespace: apps, secret: x } }')).toThrow(/stores\.k8s/);
  expect(() => parseInventory('deployers: { web: { kind: kubernetes-rollout, cluster: test, namespace: apps, deployment: Web } }')).toThrow(/deployers\.web\.deployment: must be a Deployment name/);
  expect(() => parseInventory('deployers: { web: { kind: kubernetes-rollout, cluster: test, namespace: apps, deployment: web, pollInterval: 0ms } }')).toThrow(/deployers\.web\.pollInterval: must be between 100ms and 1m/);
  expect(parseInventory('deployers: { web: { kind: kubernetes-rollout, cluster: test, namespace: apps, deployment: web } }').deployers.web).toEqual({
    kind: 'kubernetes-rollout', cluster: 'test', namespace: 'apps', deployment: 'web', until: 'rolled-out', timeout: '10m', pollInterval: '2s',
  });
  // A store naming a cluster the section does not configure stops the worker at start, naming the setting.
  const inventory = parseInventory(`${providersYaml()}\nstores: { k8s: { kind: kubernetes-secret, cluster: prod, namespace: apps } }`);
  expect(() => catalog.registry({ vault: {} as never, env: env(), settings: {}, inventory })).toThrow('stores.k8s.cluster: "prod" is not under providers.kubernetes.clusters (configured: test)');
  const ok = parseInventory(`${providersYaml()}\nstores: { k8s: { kind: kubernetes-secret, cluster: test, namespace: apps } }`);
  expect(() => catalog.registry({ vault: {} as never, env: {}, settings: {}, inventory: ok })).toThrow(`providers.kubernetes.clusters.test.tokenEnv: the environment variable ${TOKEN_ENV} is not set`);
});

test('discovery lists the Secrets of the configured namespaces only: a key found beside its secret makes the whole Secret the consumer', async () => {
  const leak = await leakedKey('kube-disc');
  const [apps, elsewhere] = [await namespace('disc-apps'), await namespace('disc-other')];
  const vars = { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret, LOG_LEVEL: 'info' };
  await secret(apps, 'billing-aws', vars);
  await secret(apps, 'unrelated', { TOKEN: 'nothing-to-see' });
  await secret(elsewhere, 'billing-aws', vars);
  const inventory = parseInventory(`${providersYaml()}
stores:
  k8s-apps: { kind: kubernetes-secret, cluster: test, namespace: ${apps} }
  k8s-other: { kind: kubernetes-secret, cluster: test, namespace: ${elsewhere} }
discovery: { sources: { k8s-apps: {} } }
`);
  const registry = catalog.registry({ vault: {} as never, env: env(), settings: {}, inventory });
  const d = await discover({ inventory, registry, catalog });
  expect(d.problems).toEqual([]);
  expect(d.entries).toBe(4); // billing-aws's three keys and unrelated's one
  expect(d.found.map(placeOf)).toEqual([{ store: 'k8s-apps', key: 'billing-aws', provider: 'aws-iam', credentialId: leak.keyId, matchedBy: 'id', field: 'json' }]);
  // With a prefix, only Secrets whose names start with it are read.
  const prefixed = parseInventory(`${providersYaml()}\nstores: { k8s-apps: { kind: kubernetes-secret, cluster: test, namespace: ${apps} } }\ndiscovery: { sources: { k8s-apps: { prefixes: [unrel] } } }`);
  const p = await discover({ inventory: prefixed, registry: catalog.registry({ vault: {} as never, env: env(), settings: {}, inventory: prefixed }), catalog });
  expect({ entries: p.entries, found: p.found }).toEqual({ entries: 1, found: [] });
  // Discovery's time bound: an aborted scan stops without reading a Secret.
  let visited = 0;
  const cut = await thrown(() => store().scan({ kind: 'kubernetes-secret', cluster: 'test', namespace: apps }, undefined, () => visited++, AbortSignal.abort()));
  expect({ message: cut.message, visited }).toEqual({ message: `Kubernetes test namespace ${apps}: listing Secrets: no answer in time`, visited: 0 });
});
