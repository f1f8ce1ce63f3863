import type { V1Secret } from '@kubernetes/client-node';
import { stringsObjectIn } from '../../domain/merge';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import type { Runners } from '../discovery';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { kubeApis, kubeCall, type KubeApis } from './client';
import type { KubernetesConfig } from './config';
import { kubeRunners } from './runners';
import { parseSecretKey, type KubeSecretSpec } from './spec';

/** Secrets listed per page while scanning, and at most this many in one scan. */
const PAGE = 100;
const MAX_SECRETS = 100_000;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const text = (b: string) => Buffer.from(b, 'base64').toString('utf8');

/**
 * A Kubernetes Secret's data keys. A write reads the Secret and, unless the consumer's keys already hold
 * the value (a retry: `changed: false`, nothing patched), merge-patches only those keys: the Secret's other
 * keys are kept, and consumers of one Secret written at once never undo each other. The Secret must
 * exist: Leakstop updates what the inventory names, it does not make Secrets that something else (a
 * chart, an operator) would not know about. The version reported is the Secret's resourceVersion.
 */
export class KubeSecretStore implements SecretStore {
  readonly kind = 'kubernetes-secret' as const;

  constructor(
    private readonly config: KubernetesConfig | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async write(consumer: ResolvedConsumer, value: string, _ctx: IncidentContext): Promise<StoreWrite> {
    const { spec, secret, dataKey } = this.target(consumer);
    const patch = dataKey !== undefined ? { [dataKey]: value } : dataIn(value, consumer);
    const apis = await kubeApis(this.config, spec.cluster, this.env);
    const what = where(spec, secret);
    const result = { consumer: consumer.name, store: consumer.store, key: consumer.key };
    const current = (await kubeCall(what, () => apis.core.readNamespacedSecret({ name: secret, namespace: spec.namespace }, apis.options())))!;
    if (Object.entries(patch).every(([k, v]) => current.data?.[k] === b64(v))) return { ...result, version: current.metadata?.resourceVersion ?? '', changed: false };
    if (current.immutable) throw new PermanentError(`${what}: the Secret is immutable; it must be replaced (and its consumers pointed at the new one) by a person`, 'invalid');
    // A merge patch sets only these keys: whatever else the Secret holds, or another writer sets meanwhile, stays.
    const body = { data: Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, b64(v)])) };
    const patched = (await kubeCall(what, () => apis.core.patchNamespacedSecret({ name: secret, namespace: spec.namespace, body }, apis.options({ mergePatch: true }))))!;
    return { ...result, version: patched.metadata?.resourceVersion ?? '', changed: true };
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    const { spec, secret, dataKey } = this.target(consumer);
    const apis = await kubeApis(this.config, spec.cluster, this.env);
    const s = await kubeCall(where(spec, secret), () => apis.core.readNamespacedSecret({ name: secret, namespace: spec.namespace }, apis.options()), [404]);
    if (!s) return undefined;
    const data = decoded(s);
    return dataKey !== undefined ? data[dataKey] : JSON.stringify(data);
  }

  /** Every Secret of the store's namespace (whose name starts with `prefix`), each data key visited as `secret#KEY`. */
  async scan(raw: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const spec = raw as KubeSecretSpec;
    const apis: KubeApis = await kubeApis(this.config, spec.cluster, this.env);
    const what = `Kubernetes ${spec.cluster} namespace ${spec.namespace}: listing Secrets`;
    let cont: string | undefined;
    let seen = 0;
    do {
      const page = (await kubeCall(what, () => apis.core.listNamespacedSecret({ namespace: spec.namespace, limit: PAGE, _continue: cont }, apis.options({ signal }))))!;
      for (const s of page.items) {
        const name = s.metadata?.name ?? '';
        if (prefix && !name.startsWith(prefix)) continue;
        for (const [key, value] of Object.entries(decoded(s))) visit(`${name}#${key}`, value);
      }
      seen += page.items.length;
      cont = page.metadata?._continue || undefined;
    } while (cont && !signal.aborted && seen < MAX_SECRETS);
  }

  /** The Deployments, StatefulSets and DaemonSets of the namespace that read the Secret, to restart after a write (providers/kubernetes/runners.ts). */
  async runners(raw: StoreSpec, key: string, signal: AbortSignal): Promise<Runners> {
    const spec = raw as KubeSecretSpec;
    return kubeRunners(await kubeApis(this.config, spec.cluster, this.env), spec, key, signal);
  }

  private target(consumer: ResolvedConsumer): { spec: KubeSecretSpec; secret: string; dataKey?: string } {
    const key = parseSecretKey(consumer.key);
    if ('problem' in key) throw new PermanentError(`consumer ${consumer.name}: key ${key.problem}`, 'invalid');
    return { spec: consumer.storeSpec as KubeSecretSpec, ...key };
  }
}

const where = (spec: KubeSecretSpec, secret: string) => `Kubernetes ${spec.cluster} Secret ${spec.namespace}/${secret}`;

function decoded(s: V1Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, text(v)]));
}

/** A JSON object of strings (field `json`), whose entries become data keys; refused by field otherwise. */
function dataIn(value: string, consumer: ResolvedConsumer): Record<string, string> {
  const entries = stringsObjectIn(value);
  if (!entries) throw new PermanentError(`consumer ${consumer.name}: key "${consumer.key}" names no data key (secret#DATA_KEY), and the value (field ${consumer.field}) is not a JSON object of strings`, 'invalid');
  const bad = Object.keys(entries).find((k) => 'problem' in parseSecretKey(`x#${k}`));
  if (bad !== undefined) throw new PermanentError(`consumer ${consumer.name}: the value's entry "${bad.slice(0, 100)}" is not a Secret data key (letters, digits, - _ .)`, 'invalid');
  return entries;
}
