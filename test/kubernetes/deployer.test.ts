import { KubeRolloutDeployer, RESTARTED_AT } from '../../providers/kubernetes/rollout-deployer';
import type { KubeRolloutSpec } from '../../providers/kubernetes/spec';
import type { ResolvedConsumer } from '../../domain/schemas';
import { eventually, testEnv } from '../support/env';
import { incidentContext, thrown } from '../support/fixtures';
import { parseInventory } from '../../providers';
import { apps, controllerRevisions, daemonSet, deployment, kubeConfig, namespace, replicaSets, revisionOf, statefulSet, TOKEN_ENV } from './cluster';

// The rollout-restart deployer against a real kube-apiserver and kube-controller-manager. No kubelet runs,
// so pods never start: a restart is judged by its new ReplicaSet and revision (`until: new-replicaset`),
// and `rolled-out` by Deployments with nothing to run, or by one whose progress deadline passes.
// StatefulSets and DaemonSets likewise, by their ControllerRevisions.

const deployer = () => new KubeRolloutDeployer(kubeConfig(), { [TOKEN_ENV]: testEnv().kube.token });

function spec(ns: string, name: string, over: Partial<KubeRolloutSpec> = {}): KubeRolloutSpec {
  return { kind: 'kubernetes-rollout', cluster: 'test', namespace: ns, deployment: name, until: 'new-replicaset', timeout: '30s', pollInterval: '100ms', ...over };
}
const consumerFor = (s: KubeRolloutSpec): ResolvedConsumer => ({ name: 'web', store: 'k8s', key: 'web-env', field: 'json', storeSpec: { kind: 'kubernetes-secret' }, deployerSpec: s });
const template = async (ns: string, name: string) => (await apps().readNamespacedDeployment({ namespace: ns, name })).spec!.template.metadata?.annotations ?? {};

test('a restart makes a new ReplicaSet and reports its revision; a retry of the same incident does not restart again', async () => {
  const ns = await namespace('rollout');
  await deployment(ns, 'web');
  const s = spec(ns, 'web');
  const ctx = incidentContext('aws');
  const handle = await deployer().redeploy(consumerFor(s), ctx);
  expect(handle).toEqual({ consumer: 'web', id: `${ns}/web@2`, statusUrl: `${testEnv().kube.server}/apis/apps/v1/namespaces/${ns}/deployments/web` });
  expect(await template(ns, 'web')).toEqual({ [RESTARTED_AT]: ctx.startedAt });
  let beats = 0;
  const done = await deployer().waitFor(handle, s, () => beats++);
  const sets = await replicaSets(ns, 'web');
  expect(sets.map(revisionOf)).toEqual([1, 2]);
  expect(done).toEqual({ consumer: 'web', id: handle.id, status: 'succeeded', detail: `revision 2 (ReplicaSet ${sets[1]!.metadata!.name}) created` });
  expect(beats).toBeGreaterThan(0);
  expect(sets[1]!.metadata!.annotations!['kubernetes.io/change-cause']).toBe(`leakstop ${ctx.incidentId}: restarted after a leaked credential was replaced`);

  // The retry (a worker that died after the patch, before Temporal heard of it): same annotation, no patch.
  expect(await deployer().redeploy(consumerFor(s), ctx)).toEqual(handle);
  expect(await deployer().waitFor(handle, s, () => undefined)).toEqual(done);
  expect((await apps().readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata!.generation).toBe(2);
  expect((await replicaSets(ns, 'web')).map(revisionOf)).toEqual([1, 2]);

  // Another incident restarts it again.
  const next = await deployer().redeploy(consumerFor(s), incidentContext('aws'));
  expect(next.id).toBe(`${ns}/web@3`);
  expect(await deployer().waitFor(next, s, () => undefined)).toMatchObject({ status: 'succeeded', detail: expect.stringMatching(/^revision 3 /) });
  expect((await replicaSets(ns, 'web')).map(revisionOf)).toEqual([1, 2, 3]);
});

test('rolled-out waits as kubectl rollout status does: done at once with nothing to run, failed for good past the progress deadline', async () => {
  const ns = await namespace('status');
  await deployment(ns, 'idle', { replicas: 0 });
  const idle = spec(ns, 'idle', { until: 'rolled-out' });
  const handle = await deployer().redeploy(consumerFor(idle), incidentContext('aws'));
  expect(await deployer().waitFor(handle, idle, () => undefined)).toMatchObject({ status: 'succeeded', detail: expect.stringMatching(/^revision 2 \(ReplicaSet idle-[a-z0-9]+\) rolled out$/) });

  // One replica that can never start (no kubelet): the controller gives up after 1 s, and so does the wait.
  await deployment(ns, 'stuck', { replicas: 1, progressDeadlineSeconds: 1 });
  const stuck = spec(ns, 'stuck', { until: 'rolled-out' });
  const h = await deployer().redeploy(consumerFor(stuck), incidentContext('aws'));
  const failed = await thrown(() => deployer().waitFor(h, stuck, () => undefined));
  expect(failed).toMatchObject({ name: 'PermanentError', reason: 'failed', message: expect.stringContaining(`Kubernetes test Deployment ${ns}/stuck exceeded its progress deadline: ReplicaSet "stuck-`) });

  // Bounded by the spec's timeout when the controller would wait longer, saying what it waited for.
  await deployment(ns, 'slow', { replicas: 1 });
  const slow = spec(ns, 'slow', { until: 'rolled-out', timeout: '1s' });
  const began = Date.now();
  const timedOut = await thrown(async () => deployer().waitFor(await deployer().redeploy(consumerFor(slow), incidentContext('aws')), slow, () => undefined));
  expect(timedOut).toMatchObject({ reason: 'failed', message: expect.stringContaining(`Kubernetes test Deployment ${ns}/slow did not roll out within 1s: still waiting for `) });
  expect(Date.now() - began).toBeLessThan(10_000);
});

test('what cannot be restarted is refused for good, naming why', async () => {
  const ns = await namespace('refuse');
  await deployment(ns, 'held', { paused: true });
  const ctx = incidentContext('aws');
  expect(await thrown(() => deployer().redeploy(consumerFor(spec(ns, 'held')), ctx))).toMatchObject({ name: 'PermanentError', reason: 'invalid', message: `Kubernetes test Deployment ${ns}/held is paused: resume it (kubectl rollout resume) or restart it by hand` });
  expect(await template(ns, 'held')).toEqual({});
  expect(await thrown(() => deployer().redeploy(consumerFor(spec(ns, 'gone')), ctx))).toMatchObject({ reason: 'not-found', message: `Kubernetes test Deployment ${ns}/gone: 404 NotFound: deployments.apps "gone" not found` });
  const denied = new KubeRolloutDeployer(kubeConfig(), { [TOKEN_ENV]: testEnv().kube.deniedToken });
  expect(await thrown(() => denied.redeploy(consumerFor(spec(ns, 'held')), ctx))).toMatchObject({ reason: 'denied', message: expect.stringContaining('403 Forbidden') });
});

/** A rollout spec for a StatefulSet or DaemonSet (no `deployment`). */
const specOf = (ns: string, field: 'statefulset' | 'daemonset', name: string, over: Partial<KubeRolloutSpec> = {}): KubeRolloutSpec => {
  const { deployment: _, ...rest } = spec(ns, name, { until: 'new-revision', ...over });
  return { ...rest, [field]: name };
};

test('StatefulSets and DaemonSets: a restart records a new ControllerRevision, reported with its number; a retry does not restart again', async () => {
  const ns = await namespace('sts');
  await statefulSet(ns, 'db', { replicas: 0 });
  await daemonSet(ns, 'agent');
  for (const [field, name, resource] of [['statefulset', 'db', 'statefulsets'], ['daemonset', 'agent', 'daemonsets']] as const) {
    const s = specOf(ns, field, name);
    const ctx = incidentContext('aws');
    const handle = await deployer().redeploy(consumerFor(s), ctx);
    expect(handle).toEqual({ consumer: 'web', id: `${ns}/${name}@2`, statusUrl: `${testEnv().kube.server}/apis/apps/v1/namespaces/${ns}/${resource}/${name}` });
    const done = await deployer().waitFor(handle, s, () => undefined);
    const revisions = await controllerRevisions(ns, name);
    expect(revisions.map((r) => r.revision)).toEqual([1, 2]);
    expect(done).toEqual({ consumer: 'web', id: handle.id, status: 'succeeded', detail: `revision 2 (ControllerRevision ${revisions[1]!.metadata!.name}) created` });

    // Retried: nothing patched, the same revision reported; rolled out too (nothing to run: no replica, no node).
    expect(await deployer().redeploy(consumerFor(s), ctx)).toEqual(handle);
    expect(await deployer().waitFor(handle, { ...s, until: 'rolled-out' }, () => undefined)).toEqual({ ...done, detail: done.detail!.replace(/created$/, 'rolled out') });
    expect((await controllerRevisions(ns, name)).map((r) => r.revision)).toEqual([1, 2]);
  }
  const sts = await apps().readNamespacedStatefulSet({ namespace: ns, name: 'db' });
  expect(sts.metadata!.annotations!['kubernetes.io/change-cause']).toMatch(/^leakstop leak-aws-.*: restarted after a leaked credential was replaced$/);
});

test('a StatefulSet whose pods never become ready times out naming what it waits for; OnDelete workloads are refused before any change', async () => {
  const ns = await namespace('sts-wait');
  await statefulSet(ns, 'stuck', { replicas: 1 });
  const stuck = specOf(ns, 'statefulset', 'stuck', { until: 'rolled-out', timeout: '1s' });
  const handle = await deployer().redeploy(consumerFor(stuck), incidentContext('aws'));
  // Once the controller has seen the restart (so that a slow controller cannot change what is waited for).
  await eventually(async () => ((await apps().readNamespacedStatefulSet({ namespace: ns, name: 'stuck' })).status?.observedGeneration ?? 0) >= 2 || undefined, 30_000, 'the restart observed');
  expect(await thrown(() => deployer().waitFor(handle, stuck, () => undefined))).toMatchObject({
    reason: 'failed',
    message: `Kubernetes test StatefulSet ${ns}/stuck did not roll out within 1s: still waiting for 0 of 1 replicas ready`,
  });

  await statefulSet(ns, 'manual', { onDelete: true, replicas: 0 });
  await daemonSet(ns, 'manual-agent', { onDelete: true });
  for (const [field, name, kind] of [['statefulset', 'manual', 'StatefulSet'], ['daemonset', 'manual-agent', 'DaemonSet']] as const) {
    expect(await thrown(() => deployer().redeploy(consumerFor(specOf(ns, field, name)), incidentContext('aws')))).toMatchObject({
      name: 'PermanentError',
      reason: 'invalid',
      message: `Kubernetes test ${kind} ${ns}/${name} updates its pods only when they are deleted (updateStrategy OnDelete): a restart would change nothing that runs; delete its pods by hand, or change its updateStrategy to RollingUpdate`,
    });
  }
  expect((await apps().readNamespacedStatefulSet({ namespace: ns, name: 'manual' })).spec!.template.metadata?.annotations ?? {}).toEqual({});
});

test('a rollout names exactly one workload', () => {
  const yaml = (fields: string) => `deployers: { web: { kind: kubernetes-rollout, cluster: test, namespace: apps${fields} } }`;
  expect(() => parseInventory(yaml(''))).toThrow('deployers.web.deployment: name exactly one workload: deployment, statefulset or daemonset (none given)');
  expect(() => parseInventory(yaml(', deployment: web, statefulset: web'))).toThrow('deployers.web.statefulset: name exactly one workload: deployment, statefulset or daemonset (got deployment and statefulset)');
  expect(() => parseInventory(yaml(', daemonset: Agent'))).toThrow(/deployers\.web\.daemonset: must be a DaemonSet name/);
  expect(parseInventory(yaml(', statefulset: db, until: new-revision')).deployers.web).toEqual({
    kind: 'kubernetes-rollout', cluster: 'test', namespace: 'apps', statefulset: 'db', until: 'new-revision', timeout: '10m', pollInterval: '2s',
  });
});
