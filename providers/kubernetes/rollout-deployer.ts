import type { V1DaemonSet, V1Deployment, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { durationMs } from '../../domain/duration';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { PermanentError, type Deployer, type IncidentContext } from '../types';
import { kubeApis, kubeCall, type KubeApis } from './client';
import type { KubernetesConfig } from './config';
import { workloadOf, type KubeRolloutSpec } from './spec';

/** What `kubectl rollout restart` sets on the pod template: a changed template is a new rollout. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** Shown by `kubectl rollout history` (the controller copies it to the new ReplicaSet). */
const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** A Deployment controller's revision number, on the Deployment and on each of its ReplicaSets. */
const REVISION = 'deployment.kubernetes.io/revision';

/**
 * `kubectl rollout restart` of a Deployment, StatefulSet or DaemonSet, once per incident: the restart
 * annotation's value is the incident's start time (kubectl puts the current time there), so a retried
 * redeploy finds the template already carrying it and patches nothing, and one incident restarts a
 * workload once however many of its consumers name it. Then followed until the controller has observed
 * the change and made the new revision (a Deployment's ReplicaSet, a StatefulSet's or DaemonSet's
 * ControllerRevision), and (`until: rolled-out`, the default) as `kubectl rollout status` waits: every
 * replica or scheduled pod updated and available. A Deployment past its progress deadline fails the step.
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
    const w = workload(apis, spec);
    const current = (await kubeCall(w.what, () => w.read()))!;
    const refused = w.refuses(current);
    if (refused) throw new PermanentError(`${w.what} ${refused}`, 'invalid');
    let generation = current.metadata?.generation ?? 0;
    if (current.spec?.template.metadata?.annotations?.[RESTARTED_AT] !== ctx.startedAt) {
      const body = {
        metadata: { annotations: { [CHANGE_CAUSE]: `leakstop ${ctx.incidentId}: restarted after a leaked credential was replaced` } },
        spec: { template: { metadata: { annotations: { [RESTARTED_AT]: ctx.startedAt } } } },
      };
      const patched = (await kubeCall(w.what, () => w.patch(body)))!;
      generation = patched.metadata?.generation ?? generation;
    }
    return { consumer: consumer.name, id: `${spec.namespace}/${w.name}@${generation}`, statusUrl: `${apis.server}/apis/apps/v1/namespaces/${spec.namespace}/${w.resource}/${w.name}` };
  }

  async waitFor(handle: DeployHandle, raw: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = raw as KubeRolloutSpec;
    const generation = Number(handle.id.slice(handle.id.lastIndexOf('@') + 1));
    const apis = await kubeApis(this.config, spec.cluster, this.env);
    const w = workload(apis, spec);
    const deadline = Date.now() + durationMs(spec.timeout);
    const revisionOnly = spec.until !== 'rolled-out';
    for (;;) {
      heartbeat();
      const current = (await kubeCall(w.what, () => w.read()))!;
      let waitingFor = `the controller to observe generation ${generation}`;
      if ((current.status?.observedGeneration ?? 0) >= generation) {
        const stuck = w.stuck(current);
        if (stuck) throw new PermanentError(`${w.what} ${stuck}`, 'failed');
        const revision = await w.revision(current);
        waitingFor = revision ? (w.progress(current) ?? '') : `the new ${w.revisionKind}`;
        if (revision && (revisionOnly || !waitingFor)) {
          return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: `revision ${revision.number} (${w.revisionKind} ${revision.name})${revisionOnly ? ' created' : ' rolled out'}` };
        }
      }
      if (Date.now() > deadline) throw new PermanentError(`${w.what} did not roll out within ${spec.timeout}: still waiting for ${waitingFor}`, 'failed');
      await new Promise((r) => setTimeout(r, durationMs(spec.pollInterval)));
    }
  }
}

type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;
type Patch = { metadata: { annotations: Record<string, string> }; spec: { template: { metadata: { annotations: Record<string, string> } } } };

/** What the deployer needs of one kind of workload: its calls, what refuses a restart, its revision and its progress. */
interface WorkloadOps {
  name: string;
  /** `Kubernetes <cluster> <Kind> <namespace>/<name>`, the start of every message about it. */
  what: string;
  resource: string;
  revisionKind: 'ReplicaSet' | 'ControllerRevision';
  read(): Promise<Workload>;
  patch(body: Patch): Promise<Workload>;
  /** Why a restart would not restart its pods, if it would not. */
  refuses(w: Workload): string | undefined;
  /** Why waiting longer cannot help, once the controller has seen the restart. */
  stuck(w: Workload): string | undefined;
  /** The revision the controller made for the current template, once it has. */
  revision(w: Workload): Promise<{ number: string; name: string } | undefined>;
  /** What `kubectl rollout status` still waits for, or undefined once the rollout is complete. */
  progress(w: Workload): string | undefined;
}

function workload(apis: KubeApis, spec: KubeRolloutSpec): WorkloadOps {
  const { kind, name } = workloadOf(spec);
  const { namespace } = spec;
  const what = `Kubernetes ${spec.cluster} ${kind} ${namespace}/${name}`;
  const patchOptions = () => apis.options({ mergePatch: true });
  const onDelete = (strategy: string | undefined) =>
    strategy === 'OnDelete' ? `updates its pods only when they are deleted (updateStrategy OnDelete): a restart would change nothing that runs; delete its pods by hand, or change its updateStrategy to RollingUpdate` : undefined;
  switch (kind) {
    case 'Deployment':
      return {
        name, what, resource: 'deployments', revisionKind: 'ReplicaSet',
        read: () => apis.apps.readNamespacedDeployment({ name, namespace }, apis.options()),
        patch: (body) => apis.apps.patchNamespacedDeployment({ name, namespace, body }, patchOptions()),
        refuses: (d) => ((d as V1Deployment).spec?.paused ? 'is paused: resume it (kubectl rollout resume) or restart it by hand' : undefined),
        stuck: (d) => {
          const progressing = (d as V1Deployment).status?.conditions?.find((c) => c.type === 'Progressing');
          return progressing?.reason === 'ProgressDeadlineExceeded' ? `exceeded its progress deadline: ${(progressing.message ?? '').slice(0, 300)}` : undefined;
        },
        revision: async (d) => {
          const rs = await newReplicaSet(apis, d as V1Deployment, what);
          return rs ? { number: rs.metadata?.annotations?.[REVISION] ?? '?', name: rs.metadata?.name ?? '?' } : undefined;
        },
        progress: (d) => deploymentProgress(d as V1Deployment),
      };
    case 'StatefulSet':
      return {
        name, what, resource: 'statefulsets', revisionKind: 'ControllerRevision',
        read: () => apis.apps.readNamespacedStatefulSet({ name, namespace }, apis.options()),
        patch: (body) => apis.apps.patchNamespacedStatefulSet({ name, namespace, body }, patchOptions()),
        refuses: (s) => onDelete((s as V1StatefulSet).spec?.updateStrategy?.type),
        stuck: () => undefined,
        revision: async (s) => {
          const update = (s as V1StatefulSet).status?.updateRevision;
          if (!update) return undefined;
          const cr = await kubeCall(what, () => apis.apps.readNamespacedControllerRevision({ name: update, namespace }, apis.options()), [404]);
          return cr ? { number: String(cr.revision), name: update } : undefined;
        },
        progress: (s) => statefulSetProgress(s as V1StatefulSet),
      };
    case 'DaemonSet':
      return {
        name, what, resource: 'daemonsets', revisionKind: 'ControllerRevision',
        read: () => apis.apps.readNamespacedDaemonSet({ name, namespace }, apis.options()),
        patch: (body) => apis.apps.patchNamespacedDaemonSet({ name, namespace, body }, patchOptions()),
        refuses: (d) => onDelete((d as V1DaemonSet).spec?.updateStrategy?.type),
        stuck: () => undefined,
        revision: (d) => newestRevision(apis, d as V1DaemonSet, what),
        progress: (d) => daemonSetProgress(d as V1DaemonSet),
      };
  }
}

/** The Deployment's current ReplicaSet: owned by it, of its current revision, with its current restart annotation. */
async function newReplicaSet(apis: KubeApis, d: V1Deployment, what: string): Promise<V1ReplicaSet | undefined> {
  const list = (await kubeCall(what, () => apis.apps.listNamespacedReplicaSet({ namespace: d.metadata!.namespace!, labelSelector: selectorOf(d) }, apis.options())))!;
  const revision = d.metadata?.annotations?.[REVISION];
  const restartedAt = d.spec?.template.metadata?.annotations?.[RESTARTED_AT];
  return list.items.find(
    (rs) =>
      rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) &&
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt,
  );
}

/**
 * A DaemonSet's current ControllerRevision: the controller records the template it observed as the
 * highest-numbered revision it owns (an older template brought back is renumbered, not copied).
 */
async function newestRevision(apis: KubeApis, d: V1DaemonSet, what: string): Promise<{ number: string; name: string } | undefined> {
  const list = (await kubeCall(what, () => apis.apps.listNamespacedControllerRevision({ namespace: d.metadata!.namespace!, labelSelector: selectorOf(d) }, apis.options())))!;
  const owned = list.items.filter((cr) => cr.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid));
  const newest = owned.sort((a, b) => b.revision - a.revision)[0];
  return newest ? { number: String(newest.revision), name: newest.metadata?.name ?? '?' } : undefined;
}

const selectorOf = (w: { spec?: { selector: { matchLabels?: Record<string, string> } } }) =>
  Object.entries(w.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || undefined;

function deploymentProgress(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const { updatedReplicas = 0, replicas = 0, availableReplicas = 0 } = d.status ?? {};
  if (updatedReplicas < want) return `${updatedReplicas} of ${want} replicas updated`;
  if (replicas > updatedReplicas) return `${replicas - updatedReplicas} old replicas to terminate`;
  if (availableReplicas < updatedReplicas) return `${availableReplicas} of ${updatedReplicas} updated replicas available`;
  return undefined;
}

/** As kubectl's StatefulSet status: every replica ready, and updated (up to a rolling update's partition). */
function statefulSetProgress(s: V1StatefulSet): string | undefined {
  const want = s.spec?.replicas ?? 1;
  const { readyReplicas = 0, updatedReplicas = 0, currentRevision, updateRevision } = s.status ?? { replicas: 0 };
  if (readyReplicas < want) return `${readyReplicas} of ${want} replicas ready`;
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined) return updatedReplicas < want - partition ? `${updatedReplicas} of ${want - partition} replicas above the partition updated` : undefined;
  if (updateRevision !== currentRevision) return `${updatedReplicas} of ${want} replicas at revision ${updateRevision}`;
  return undefined;
}

/** As kubectl's DaemonSet status: a pod of the new template on every node that should run one, and available. */
function daemonSetProgress(d: V1DaemonSet): string | undefined {
  const { desiredNumberScheduled = 0, updatedNumberScheduled = 0, numberAvailable = 0 } = d.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  if (updatedNumberScheduled < desiredNumberScheduled) return `${updatedNumberScheduled} of ${desiredNumberScheduled} pods updated`;
  if (numberAvailable < desiredNumberScheduled) return `${numberAvailable} of ${desiredNumberScheduled} updated pods available`;
  return undefined;
}
