import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import type { Runner, Runners } from '../discovery';
import { kubeCall, type KubeApis } from './client';
import { KubeRolloutSpecSchema, parseSecretKey, type KubeSecretSpec } from './spec';

// What runs from a Secret, for discovery: the Deployments of its namespace whose pod template reads it
// (a secret volume, a projected one, envFrom, or one variable's secretKeyRef, in any container or init
// container), each restarted by the rollout deployer. A paused Deployment is left to a person: the
// deployer refuses it. Pods read a Secret only at start (variables) or on their kubelet's schedule
// (volumes), so a restart is what makes them use the new value.

/** Deployments listed per page, and at most this many looked at. */
const PAGE = 100;
const MAX_DEPLOYMENTS = 10_000;

export async function kubeRunners(apis: KubeApis, spec: KubeSecretSpec, key: string, signal: AbortSignal): Promise<Runners> {
  const parsed = parseSecretKey(key);
  if ('problem' in parsed) throw new Error(`key ${parsed.problem}`);
  const what = `Kubernetes ${spec.cluster} namespace ${spec.namespace}: listing Deployments`;
  const runners: Runner[] = [];
  const leftAlone: string[] = [];
  let cont: string | undefined;
  let seen = 0;
  do {
    const page = (await kubeCall(what, () => apis.apps.listNamespacedDeployment({ namespace: spec.namespace, limit: PAGE, _continue: cont }, apis.options({ signal }))))!;
    for (const d of page.items) {
      const name = d.metadata?.name;
      if (!name || !reads(d.spec?.template.spec, parsed.secret)) continue;
      if (d.spec?.paused) leftAlone.push(`Kubernetes Deployment ${spec.namespace}/${name} reads Secret ${parsed.secret} but is paused: not restarted; resume it (kubectl rollout resume) or restart it by hand`);
      else runners.push({ name, deployer: KubeRolloutSpecSchema.parse({ kind: 'kubernetes-rollout', cluster: spec.cluster, namespace: spec.namespace, deployment: name, ...spec.redeploy }) });
    }
    seen += page.items.length;
    cont = page.metadata?._continue || undefined;
  } while (cont && !signal.aborted && seen < MAX_DEPLOYMENTS);
  return { runners, leftAlone };
}

/** Whether a pod of this template reads the Secret. */
export function reads(pod: V1PodSpec | undefined, secret: string): boolean {
  if (!pod) return false;
  const volume = (pod.volumes ?? []).some((v) => v.secret?.secretName === secret || (v.projected?.sources ?? []).some((s) => s.secret?.name === secret));
  const container = (c: V1Container) => (c.envFrom ?? []).some((e) => e.secretRef?.name === secret) || (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef?.name === secret);
  return volume || [...(pod.containers ?? []), ...(pod.initContainers ?? [])].some(container);
}
