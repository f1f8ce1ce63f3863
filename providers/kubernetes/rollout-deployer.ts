import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { durationMs } from '../../domain/duration';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { PermanentError, type Deployer, type IncidentContext } from '../types';
import { kubeApis, kubeCall, type KubeApis } from './client';
import type { KubernetesConfig } from './config';
import type { KubeRolloutSpec } from './spec';

/** What `kubectl rollout restart` sets on the pod template: a changed template is a new rollout. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** Shown by `kubectl rollout history` (the controller copies it to the new ReplicaSet). */
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** The controller's revision number, on the Deployment and on each of its ReplicaSets. */
const REVISION = 'deployment.kubernetes.io/revision';

/**
 * `kubectl rollout restart` of a Deployment, once per incident: the restart annotation's value is the
 * incident's start time (kubectl puts the current time there), so a retried redeploy finds the template
 * already carrying it and patches nothing, and one incident restarts a Deployment once however many of
 * its consumers name it. Then followed until the controller has observed the change and made the new
 * ReplicaSet, and (`until: rolled-out`, the default) as `kubectl rollout status` waits: every replica
 * updated and available. A Deployment past its progress deadline fails the step.
 */
export class KubeRolloutDeployer implements Deployer {
  readonly kind = 'kubernetes-rollout' as const;

  constructor(
    private readonly config: KubernetesConfig | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = consumer.deployerSpec as KubeRolloutSpec;
    const apis = await kubeApis(this.config, spec.cluster, this.env);
    const what = where(spec);
    const d = (await kubeCall(what, () => apis.apps.readNamespacedDeployment({ name: spec.deployment, namespace: spec.namespace }, apis.options())))!;
    if (d.spec?.paused) throw new PermanentError(`${what} is paused: resume it (kubectl rollout resume) or restart it by hand`, 'invalid');
    let generation = d.metadata?.generation ?? 0;
    if (d.spec?.template.metadata?.annotations?.[RESTARTED_AT] !== ctx.startedAt) {
      const body = {
        metadata: { annotations: { [CHANGE_CAUSE]: `leakstop ${ctx.incidentId}: restarted after a leaked credential was replaced` } },
        spec: { template: { metadata: { annotations: { [RESTARTED_AT]: ctx.startedAt } } } },
      };
      const patched = (await kubeCall(what, () => apis.apps.patchNamespacedDeployment({ name: spec.deployment, namespace: spec.namespace, body }, apis.options({ mergePatch: true }))))!;
      generation = patched.metadata?.generation ?? generation;
    }
    return { consumer: consumer.name, id: `${spec.namespace}/${spec.deployment}@${generation}`, statusUrl: `${apis.server}/apis/apps/v1/namespaces/${spec.namespace}/deployments/${spec.deployment}` };
  }

  async waitFor(handle: DeployHandle, raw: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = raw as KubeRolloutSpec;
    const generation = Number(handle.id.slice(handle.id.lastIndexOf('@') + 1));
    const apis = await kubeApis(this.config, spec.cluster, this.env);
    const what = where(spec);
    const deadline = Date.now() + durationMs(spec.timeout);
    for (;;) {
      heartbeat();
      const d = (await kubeCall(what, () => apis.apps.readNamespacedDeployment({ name: spec.deployment, namespace: spec.namespace }, apis.options())))!;
      const status = d.status ?? {};
      let waitingFor = `the controller to observe generation ${generation}`;
      if ((status.observedGeneration ?? 0) >= generation) {
        const progressing = status.conditions?.find((c) => c.type === 'Progressing');
        if (progressing?.reason === 'ProgressDeadlineExceeded') throw new PermanentError(`${what} exceeded its progress deadline: ${(progressing.message ?? '').slice(0, 300)}`, 'failed');
        const rs = await newReplicaSet(apis, d, what);
        waitingFor = rs ? rolloutProgress(d) ?? '' : 'the new ReplicaSet';
        if (rs && (spec.until === 'new-replicaset' || !waitingFor)) {
          const revision = rs.metadata?.annotations?.[REVISION] ?? '?';
          return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: `revision ${revision} (ReplicaSet ${rs.metadata?.name})${spec.until === 'new-replicaset' ? ' created' : ' rolled out'}` };
        }
      }
      if (Date.now() > deadline) throw new PermanentError(`${what} did not roll out within ${spec.timeout}: still waiting for ${waitingFor}`, 'failed');
      await new Promise((r) => setTimeout(r, durationMs(spec.pollInterval)));
    }
  }
}

const where = (spec: KubeRolloutSpec) => `Kubernetes ${spec.cluster} Deployment ${spec.namespace}/${spec.deployment}`;

/** The Deployment's current ReplicaSet: owned by it, of its current revision, with its current restart annotation. */
async function newReplicaSet(apis: KubeApis, d: V1Deployment, what: string): Promise<V1ReplicaSet | undefined> {
  const labels = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = (await kubeCall(what, () => apis.apps.listNamespacedReplicaSet({ namespace: d.metadata!.namespace!, labelSelector: labels || undefined }, apis.options())))!;
  const revision = d.metadata?.annotations?.[REVISION];
  const restartedAt = d.spec?.template.metadata?.annotations?.[RESTARTED_AT];
  return list.items.find(
    (rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) &&
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt,
  );
}

/** What `kubectl rollout status` still waits for, or undefined once the rollout is complete. */
function rolloutProgress(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const { updatedReplicas = 0, replicas = 0, availableReplicas = 0 } = d.status ?? {};
  if (updatedReplicas < want) return `${updatedReplicas} of ${want} replicas updated`;
  if (replicas > updatedReplicas) return `${replicas - updatedReplicas} old replicas to terminate`;
  if (availableReplicas < updatedReplicas) return `${availableReplicas} of ${updatedReplicas} updated replicas available`;
  return undefined;
}
