import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { filesUnder, findLeaks, incidentSinks } from '../support/canary';
import { leakedKey, testEnv, useTemporal } from '../support/env';
import { keysOf, leakWithCrash } from '../support/fixtures';
import { apps, deployment, namespace, providersYaml, replicaSets, revisionOf, secret, secretData } from './cluster';

// A leaked AWS key whose consumers are Kubernetes Secrets read by one Deployment, through a real
// kube-apiserver and kube-controller-manager: a worker dies right after `crashAfter`'s side effect
// (before Temporal hears of it), another takes over. Each Secret ends up holding the new key (its other
// data kept), the Deployment is restarted exactly once for the incident (one new ReplicaSet), an unlisted
// Secret holding the key in the searched namespace is found and updated, and the leak canary finds no
// secret in the incident's history, the Temporal database, the worker's files, the API server's audit
// log, the control plane's logs, or etcd's files (Secrets are encrypted at rest there, so any copy of a
// value in etcd would be one that is not the Secret's).

let client: Client;
useTemporal((c) => (client = c));

test.each(['updateEnvironment', 'redeploy'] as const)('an incident updates each Secret once and restarts the Deployment once, even when a worker dies after %s; no secret leaks', async (crashAfter) => {
  const leak = await leakedKey(`kube-${crashAfter.slice(0, 6).toLowerCase()}`);
  const ns = await namespace('incident');
  const pair = { AWS_ACCESS_KEY_ID: leak.keyId, AWS_SECRET_ACCESS_KEY: leak.secret };
  await secret(ns, 'web-aws', { ...pair, LOG_LEVEL: 'info' });
  await secret(ns, 'worker', { AWS_SECRET_ACCESS_KEY: leak.secret, QUEUE: 'jobs' });
  await secret(ns, 'legacy-cron', { ...pair, SCHEDULE: 'hourly' }); // not in the inventory: discovery finds it
  await deployment(ns, 'web');
  const inventory = `${providersYaml()}
stores:
  k8s: { kind: kubernetes-secret, cluster: test, namespace: ${ns} }
deployers:
  web-rollout: { kind: kubernetes-rollout, cluster: test, namespace: ${ns}, deployment: web, until: new-replicaset, pollInterval: 200ms }
discovery:
  sources: { k8s: {} }
  discovered: update
credentials:
  - provider: aws-iam
    owner: ${leak.user}
    consumers:
      - { name: web, store: k8s, key: web-aws, field: json, deploy: web-rollout }
      - { name: worker, store: k8s, key: "worker#AWS_SECRET_ACCESS_KEY", field: secretAccessKey, deploy: web-rollout }
`;
  const { incidentId, state: s, dataDir } = await leakWithCrash(client, { name: `kube-${crashAfter}`, inventory, keyId: leak.keyId, crashAfter });
  expect(s.status).toBe('completed');
  const [newKey] = await keysOf(leak.user);
  expect(newKey?.id).toBe(s.newCredential?.id);

  const web = await secretData(ns, 'web-aws');
  expect(web).toMatchObject({ AWS_ACCESS_KEY_ID: newKey!.id, LOG_LEVEL: 'info' });
  expect(web.AWS_SECRET_ACCESS_KEY).not.toBe(leak.secret);
  expect(await secretData(ns, 'worker')).toEqual({ AWS_SECRET_ACCESS_KEY: web.AWS_SECRET_ACCESS_KEY, QUEUE: 'jobs' });
  expect(await secretData(ns, 'legacy-cron')).toEqual({ AWS_ACCESS_KEY_ID: newKey!.id, AWS_SECRET_ACCESS_KEY: web.AWS_SECRET_ACCESS_KEY, SCHEDULE: 'hourly' });
  expect(s.discovered?.places).toEqual([{ store: 'k8s', key: 'legacy-cron', matchedBy: 'id', field: 'json' }]);
  expect(s.storeWrites.map((w) => `${w.consumer} ${w.key}`).sort()).toEqual(['discovered-k8s-legacy-cron legacy-cron', 'web web-aws', 'worker worker#AWS_SECRET_ACCESS_KEY']);

  // One restart for the incident, however many consumers name the Deployment and however often it was retried.
  const sets = await replicaSets(ns, 'web');
  expect(sets.map(revisionOf)).toEqual([1, 2]);
  const d = await apps().readNamespacedDeployment({ namespace: ns, name: 'web' });
  expect(d.metadata!.generation).toBe(2);
  expect(d.spec!.template.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']).toBe(s.startedAt);
  expect([...s.deploys].sort((a, b) => a.consumer.localeCompare(b.consumer))).toEqual(['web', 'worker'].map((consumer) => ({ consumer, id: `${ns}/web@2`, status: 'succeeded', detail: `revision 2 (ReplicaSet ${sets[1]!.metadata!.name}) created` })));
  expect(readdirSync(path.join(dataDir, 'reports'))).toEqual([`${incidentId}.md`]);

  // The leak canary over this incident's sinks and the cluster's own.
  const { history, sinks } = await incidentSinks(client, incidentId, s, dataDir);
  expect(history.decoded).toContain(`${ns}/web@2`);
  const kube = testEnv().kube;
  const audit = readFileSync(kube.auditLog);
  expect(audit.toString()).toContain(`/api/v1/namespaces/${ns}/secrets/web-aws`); // the audit saw Leakstop's calls
  sinks['API server audit log'] = audit;
  for (const log of kube.logs) sinks[`control plane log: ${path.basename(log)}`] = readFileSync(log);
  for (const [file, bytes] of Object.entries(filesUnder(kube.etcdDir))) sinks[`etcd: ${file}`] = bytes;
  expect(Object.keys(sinks).some((k) => k.startsWith('etcd: member/wal/'))).toBe(true);
  const secrets = { 'leaked secret': leak.secret, 'new secret': web.AWS_SECRET_ACCESS_KEY!, 'payload key': process.env.LEAKSTOP_CODEC_KEYS!.split(':')[1]!, "Leakstop's cluster token": kube.token };
  expect(Object.entries(sinks).flatMap(([name, text]) => findLeaks(name, text, secrets))).toEqual([]);
});
