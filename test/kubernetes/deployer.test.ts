import { KubeRolloutDeployer, RESTARTED_AT } from '../../providers/kubernetes/rollout-deployer';
import type { KubeRolloutSpec } from '../../providers/kubernetes/spec';
import type { ResolvedConsumer } from '../../domain/schemas';
import { testEnv } from '../support/env';
import { incidentContext, thrown } from '../support/fixtures';
import { apps, deployment, kubeConfig, namespace, replicaSets, revisionOf, TOKEN_ENV } from './cluster';

// The rollout-restart deployer against a real kube-apiserver and kube-controller-manager. No kubelet runs,
// so pods never start: a restart is judged by its new ReplicaSet and revision (`until: new-replicaset`),
// and `rolled-out` by Deployments with nothing to run, or by one whose progress deadline passes.

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
