import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1ControllerRevision, type V1PodSpec, type V1PolicyRule, type V1ReplicaSet } from '@kubernetes/client-node';
import type { KubernetesConfig } from '../../providers/kubernetes/config';
import { eventually, testEnv } from '../support/env';

// The tests' own hands on the run's Kubernetes API server (test/support/kube-server.ts), as its
// administrator: making namespaces, Secrets and Deployments, and reading what Leakstop did to them.

export const TOKEN_ENV = 'LEAKSTOP_KUBE_TOKEN';

function admin() {
  const kube = testEnv().kube;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: kube.server, caData: Buffer.from(readFileSync(kube.caFile)).toString('base64') }],
    users: [{ name: 'admin', token: kube.token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
    currentContext: 'test',
  });
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), rbac: kc.makeApiClient(RbacAuthorizationV1Api) };
}

export const core = () => admin().core;
export const apps = () => admin().apps;

/** The module's configuration for the run's cluster, named `test` (the token from LEAKSTOP_KUBE_TOKEN). */
export const kubeConfig = (over: Partial<KubernetesConfig['clusters'][string]> = {}): KubernetesConfig => ({
  clusters: { test: { server: testEnv().kube.server, caFile: testEnv().kube.caFile, tokenEnv: TOKEN_ENV, ...over } },
});

/** The same as an inventory's `providers:` section (YAML). */
export const providersYaml = () => `
providers:
  kubernetes:
    clusters:
      test: { server: "${testEnv().kube.server}", caFile: "${testEnv().kube.caFile}", tokenEnv: ${TOKEN_ENV} }
`;

/** A fresh namespace. */
export async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await core().createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function secret(ns: string, name: string, data: Record<string, string>, extra: { immutable?: boolean } = {}) {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return core().createNamespacedSecret({ namespace: ns, body: { metadata: { name }, data: encoded, ...extra } });
}

export async function secretData(ns: string, name: string): Promise<Record<string, string>> {
  const s = await core().readNamespacedSecret({ namespace: ns, name });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * A Deployment of one container (never run: the cluster has no kubelet), with its first ReplicaSet made.
 * `pod` replaces parts of its pod spec (the containers, volumes…), e.g. to read a given Secret.
 */
export async function deployment(ns: string, name: string, o: { replicas?: number; progressDeadlineSeconds?: number; paused?: boolean; pod?: Partial<V1PodSpec> } = {}) {
  const labels = { app: name };
  await apps().createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas: o.replicas ?? 1,
        selector: { matchLabels: labels },
        ...(o.progressDeadlineSeconds ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
        ...(o.paused ? { paused: true } : {}),
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', envFrom: [{ secretRef: { name: `${name}-env`, optional: true } }] }], ...o.pod } },
      },
    },
  });
  if (!o.paused) await eventually(async () => (await replicaSets(ns, name)).length === 1, 30_000, `the first ReplicaSet of ${name}`);
}

const podTemplate = (name: string, pod: Partial<V1PodSpec> = {}) => ({
  metadata: { labels: { app: name } },
  spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', envFrom: [{ secretRef: { name: `${name}-env`, optional: true } }] }], ...pod },
});

/** A StatefulSet of one container (never run), with its first ControllerRevision recorded. */
export async function statefulSet(ns: string, name: string, o: { replicas?: number; onDelete?: boolean; pod?: Partial<V1PodSpec> } = {}) {
  await apps().createNamespacedStatefulSet({
    namespace: ns,
    body: {
      metadata: { name },
      spec: { replicas: o.replicas ?? 1, serviceName: name, selector: { matchLabels: { app: name } }, template: podTemplate(name, o.pod), ...(o.onDelete ? { updateStrategy: { type: 'OnDelete' } } : {}) },
    },
  });
  await eventually(async () => (await controllerRevisions(ns, name)).length === 1, 30_000, `the first ControllerRevision of ${name}`);
}

/** A DaemonSet of one container; with no node in the cluster it asks for no pod. Its first ControllerRevision recorded. */
export async function daemonSet(ns: string, name: string, o: { onDelete?: boolean; pod?: Partial<V1PodSpec> } = {}) {
  await apps().createNamespacedDaemonSet({
    namespace: ns,
    body: { metadata: { name }, spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name, o.pod), ...(o.onDelete ? { updateStrategy: { type: 'OnDelete' } } : {}) } },
  });
  await eventually(async () => (await controllerRevisions(ns, name)).length === 1, 30_000, `the first ControllerRevision of ${name}`);
}

/** The ControllerRevisions a StatefulSet or DaemonSet named `name` owns, oldest revision first. */
export async function controllerRevisions(ns: string, name: string): Promise<V1ControllerRevision[]> {
  const list = await apps().listNamespacedControllerRevision({ namespace: ns, labelSelector: `app=${name}` });
  return list.items.filter((cr) => cr.metadata?.ownerReferences?.some((o) => o.name === name)).sort((a, b) => a.revision - b.revision);
}

/** The Deployment's ReplicaSets, oldest revision first. */
export async function replicaSets(ns: string, name: string): Promise<V1ReplicaSet[]> {
  const d = await apps().readNamespacedDeployment({ namespace: ns, name });
  const list = await apps().listNamespacedReplicaSet({ namespace: ns, labelSelector: `app=${name}` });
  return list.items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid))
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

export const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } }) => Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/** A token of a new service account in `ns` that may do there only what `rules` allow (a Role, bound to it). */
export async function limitedToken(ns: string, name: string, rules: V1PolicyRule[]): Promise<string> {
  const { core: c, rbac } = admin();
  await c.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name }, rules } });
  await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }] } });
  const request = await c.createNamespacedServiceAccountToken({ namespace: ns, name, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  return request.status!.token;
}
