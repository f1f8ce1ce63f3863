import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeRolloutDeployer } from '../../providers/kubernetes/rollout-deployer';
import { KubeSecretStore } from '../../providers/kubernetes/secret-store';
import { KubeSecretSpecSchema, type KubeRolloutSpec } from '../../providers/kubernetes/spec';
import type { ResolvedConsumer } from '../../domain/schemas';
import { incidentContext, thrown } from '../support/fixtures';
import { daemonSet, deployment, kubeConfig, limitedToken, namespace, secret, secretData, statefulSet, TOKEN_ENV } from './cluster';

// The Role published in deploy/kubernetes/role.yaml is what Leakstop's identity needs, no less and no
// more: everything the Kubernetes module does (a Secret written, discovery's listing of Secrets and of
// what reads them, a rollout restart of each workload kind followed until rolled out) succeeds under a
// token bound to exactly that Role, and fails as denied when any one verb on any one resource is taken away.

const role = parse(readFileSync(path.join(__dirname, '../../deploy/kubernetes/role.yaml'), 'utf8')) as { kind: string; rules: V1PolicyRule[] };

/** Every (rule, resource, verb) the Role grants, as the Role without it. */
function withoutOne(rules: V1PolicyRule[]): { missing: string; rules: V1PolicyRule[] }[] {
  return rules.flatMap((rule, i) =>
    rule.resources!.flatMap((resource) =>
      rule.verbs.map((verb) => ({
        missing: `${verb} ${rule.apiGroups![0] ? `${rule.apiGroups![0]}/` : ''}${resource}`,
        rules: [
          ...rules.filter((_, j) => j !== i),
          ...(rule.resources!.length > 1 ? [{ ...rule, resources: rule.resources!.filter((r) => r !== resource) }] : []),
          ...(rule.verbs.length > 1 ? [{ ...rule, resources: [resource], verbs: rule.verbs.filter((v) => v !== verb) }] : []),
        ],
      })),
    ),
  );
}

/** What the module does in one namespace, as an incident with discovery would; throws at the first refusal. */
async function everything(ns: string, token: string): Promise<void> {
  const env = { [TOKEN_ENV]: token };
  const store = new KubeSecretStore(kubeConfig(), env);
  const storeSpec = KubeSecretSpecSchema.parse({ kind: 'kubernetes-secret', cluster: 'test', namespace: ns });
  const signal = AbortSignal.timeout(30_000);
  let found = 0;
  await store.scan(storeSpec, 'app-', () => found++, signal);
  if (found === 0) throw new Error('discovery saw no Secret');
  const consumer: ResolvedConsumer = { name: 'api', store: 'k8s', key: 'app-aws#AWS_SECRET_ACCESS_KEY', field: 'secretAccessKey', storeSpec };
  const ctx = incidentContext('aws');
  await store.write(consumer, `new-${ctx.incidentId}`, ctx);
  const { runners, leftAlone } = await store.runners(storeSpec, 'app-aws', signal);
  if (runners.length !== 3 || leftAlone.length) throw new Error(`runners: ${JSON.stringify({ runners, leftAlone })}`);
  const deployer = new KubeRolloutDeployer(kubeConfig(), env);
  for (const r of runners) {
    const spec = { ...(r.deployer as KubeRolloutSpec), until: 'rolled-out' as const, pollInterval: '100ms', timeout: '30s' };
    const c = { ...consumer, name: r.name, deployerSpec: spec };
    await deployer.waitFor(await deployer.redeploy(c, ctx), spec, () => undefined);
  }
}

test('deploy/kubernetes/role.yaml is enough for the store, discovery and every rollout, and each verb in it is needed', async () => {
  expect(role.kind).toBe('Role');
  const ns = await namespace('least');
  await secret(ns, 'app-aws', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'old' });
  const reads = { containers: [{ name: 'app', image: 'example.invalid/app:1', envFrom: [{ secretRef: { name: 'app-aws' } }] }] };
  await deployment(ns, 'web', { replicas: 0, pod: reads });
  await statefulSet(ns, 'db', { replicas: 0, pod: reads });
  await daemonSet(ns, 'agent', { pod: reads });

  const exact = await limitedToken(ns, 'leakstop', role.rules);
  await everything(ns, exact);
  expect((await secretData(ns, 'app-aws')).AWS_SECRET_ACCESS_KEY).toMatch(/^new-leak-aws-/);

  const reduced = withoutOne(role.rules);
  const notNeeded: string[] = [];
  for (const [i, { missing, rules }] of reduced.entries()) {
    const token = await limitedToken(ns, `without-${i}`, rules);
    const err = await thrown(() => everything(ns, token)).catch(() => undefined);
    if (!err) notNeeded.push(missing);
    else expect({ missing, message: err.message }).toEqual({ missing, message: expect.stringContaining('403 Forbidden') });
  }
  expect(notNeeded).toEqual([]);
});
