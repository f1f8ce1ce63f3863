import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { Runner, Runners } from '../discovery';
import { kubeCall, type KubeApis } from './client';
import { KubeRolloutSpecSchema, parseSecretKey, WORKLOADS, type KubeSecretSpec } from './spec';

// What runs from a Secret, for discovery: the Deployments, StatefulSets and DaemonSets of its namespace
// whose pod template reads it (a secret volume, a projected one, envFrom, or one variable's secretKeyRef,
// in any container or init container), each restarted by the rollout deployer. What a restart would not
// renew is left to a person: a paused Deployment, or a StatefulSet or DaemonSet that updates its pods only
// when they are deleted. Pods read a Secret only at start (variables) or on their kubelet's schedule
// (volumes), so a restart is what makes them use the new value.

/** Workloads listed per page, and at most this many of each kind looked at. */
const PAGE = 100;
const MAX_WORKLOADS = 10_000;

type Listed = { metadata?: { name?: string }; spec?: { paused?: boolean; updateStrategy?: { type?: string }; template: { spec?: V1PodSpec } } };
type Page = { items: Listed[]; metadata?: { _continue?: string } };

export async function kubeRunners(apis: KubeApis, spec: KubeSecretSpec, key: string, signal: AbortSignal): Promise<Runners> {
  const parsed = parseSecretKey(key);
  if ('problem' in parsed) throw new Error(`key ${parsed.problem}`);
  const namespace = spec.namespace;
  const kinds: { field: keyof typeof WORKLOADS; list: (cont?: string) => Promise<Page> }[] = [
    { field: 'deployment', list: (c) => apis.apps.listNamespacedDeployment({ namespace, limit: PAGE, _continue: c }, apis.options({ signal })) },
    { field: 'statefulset', list: (c) => apis.apps.listNamespacedStatefulSet({ namespace, limit: PAGE, _continue: c }, apis.options({ signal })) },
    { field: 'daemonset', list: (c) => apis.apps.listNamespacedDaemonSet({ namespace, limit: PAGE, _continue: c }, apis.options({ signal })) },
  ];
  const runners: Runner[] = [];
  const leftAlone: string[] = [];
  for (const { field, list } of kinds) {
    const kind = WORKLOADS[field];
    const what = `Kubernetes ${spec.cluster} namespace ${namespace}: listing ${kind}s`;
    let cont: string | undefined;
    let seen = 0;
    do {
      const page = (await kubeCall(what, () => list(cont)))!;
      for (const w of page.items) {
        const name = w.metadata?.name;
        if (!name || !reads(w.spec?.template.spec, parsed.secret)) continue;
        const here = `Kubernetes ${kind} ${namespace}/${name} reads Secret ${parsed.secret}`;
        if (w.spec?.paused) leftAlone.push(`${here} but is paused: not restarted; resume it (kubectl rollout resume) or restart it by hand`);
        else if (w.spec?.updateStrategy?.type === 'OnDelete') leftAlone.push(`${here} but updates its pods only when they are deleted (OnDelete): not restarted; delete its pods by hand`);
        else runners.push({ name: field === 'deployment' ? name : `${field}.${name}`, deployer: deployerFor(spec, field, name) });
      }
      seen += page.items.length;
      cont = page.metadata?._continue || undefined;
    } while (cont && !signal.aborted && seen < MAX_WORKLOADS);
    if (signal.aborted) break;
  }
  return { runners, leftAlone };
}

/** The rollout spec of a found workload, followed as the store's `redeploy` says (`new-replicaset` reads as `new-revision` beyond Deployments). */
function deployerFor(spec: KubeSecretSpec, field: keyof typeof WORKLOADS, name: string) {
  const redeploy = { ...spec.redeploy, ...(field !== 'deployment' && spec.redeploy?.until === 'new-replicaset' ? { until: 'new-revision' as const } : {}) };
  return KubeRolloutSpecSchema.parse({ kind: 'kubernetes-rollout', cluster: spec.cluster, namespace: spec.namespace, [field]: name, ...redeploy });
}

/** Whether a pod of this template reads the Secret. */
export function reads(pod: V1PodSpec | undefined, secret: string): boolean {
  if (!pod) return false;
  const volume = (pod.volumes ?? []).some((v) => v.secret?.secretName === secret || (v.projected?.sources ?? []).some((s) => s.secret?.name === secret));
  const container = (c: V1Container) => (c.envFrom ?? []).some((e) => e.secretRef?.name === secret) || (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef?.name === secret);
  return volume || [...(pod.containers ?? []), ...(pod.initContainers ?? [])].some(container);
}
