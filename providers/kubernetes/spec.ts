import { z } from 'zod';
import { durationMs } from '../../domain/duration';
import { DurationSchema } from '../../domain/incident-input';

// Names as the API server accepts them: a namespace or deployment is a DNS label or subdomain, a Secret's
// data key is [-._a-zA-Z0-9]+. Checked here so a bad inventory is refused by field, before any call.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

const cluster = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must name a cluster under providers.kubernetes.clusters');
const namespace = z.string().regex(DNS_LABEL, 'must be a namespace name (a DNS label: a-z, 0-9, -)');

const workloadName = (kind: string) => z.string().regex(DNS_SUBDOMAIN, `must be a ${kind} name (a DNS subdomain: a-z, 0-9, - and .)`).optional();
/** The workloads a rollout restart applies to, by the spec field that names one. */
export const WORKLOADS = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' } as const;

const KubeRolloutFields = z.strictObject({
  kind: z.literal('kubernetes-rollout'),
  cluster,
  namespace,
  /** Exactly one of these names the workload restarted. */
  deployment: workloadName('Deployment'),
  statefulset: workloadName('StatefulSet'),
  daemonset: workloadName('DaemonSet'),
  /**
   * `rolled-out` (default): as `kubectl rollout status`: every replica (or scheduled pod) updated and
   * available (ready), the old ones gone. `new-revision` (for a Deployment also spelled `new-replicaset`):
   * the controller has made the restart's revision (a Deployment's ReplicaSet, a StatefulSet's or
   * DaemonSet's ControllerRevision); its pods may still start.
   */
  until: z.enum(['rolled-out', 'new-revision', 'new-replicaset']).default('rolled-out'),
  timeout: DurationSchema.default('10m'),
  /** Between reads of the workload's status: bounded, so a typo cannot hammer the API server. */
  pollInterval: DurationSchema.refine((d) => durationMs(d) >= 100 && durationMs(d) <= 60_000, { message: 'must be between 100ms and 1m' }).default('2s'),
});

/** `kubectl rollout restart` of a Deployment, StatefulSet or DaemonSet, followed until the controller has rolled it (or made its new revision). */
export const KubeRolloutSpecSchema = KubeRolloutFields.superRefine((spec, ctx) => {
  const named = (Object.keys(WORKLOADS) as (keyof typeof WORKLOADS)[]).filter((f) => spec[f] !== undefined);
  if (named.length !== 1) {
    ctx.addIssue({ code: 'custom', path: [named[1] ?? 'deployment'], message: `name exactly one workload: deployment, statefulset or daemonset (${named.length ? `got ${named.join(' and ')}` : 'none given'})` });
  }
});
export type KubeRolloutSpec = z.infer<typeof KubeRolloutSpecSchema>;

/**
 * The Secrets of one namespace of one cluster as a store. A consumer's key is `secret#DATA_KEY` (one
 * data key of the Secret receives the value), or `secret` for JSON whose entries become data keys.
 * Discovery lists the namespace's Secrets (a prefix: Secret names starting with it), and the Deployments,
 * StatefulSets and DaemonSets that use a Secret it found: `redeploy` says how their restarts are followed (the kubernetes-rollout
 * options; by default until rolled out).
 */
export const KubeSecretSpecSchema = z.strictObject({
  kind: z.literal('kubernetes-secret'),
  cluster,
  namespace,
  redeploy: KubeRolloutFields.pick({ until: true, timeout: true, pollInterval: true }).optional(),
});
export type KubeSecretSpec = z.infer<typeof KubeSecretSpecSchema>;

/** A consumer's key: the Secret's name, and after `#` the data key that receives the value. */
export function parseSecretKey(key: string): { secret: string; dataKey?: string } | { problem: string } {
  const [secret, dataKey, ...rest] = key.split('#');
  if (rest.length) return { problem: 'at most one # (secret#DATA_KEY)' };
  if (!secret || !DNS_SUBDOMAIN.test(secret)) return { problem: `"${key.slice(0, 100)}" does not start with a Secret name (a DNS subdomain: a-z, 0-9, - and .)` };
  if (dataKey !== undefined && !DATA_KEY.test(dataKey)) return { problem: `"${dataKey.slice(0, 100)}" is not a Secret data key (letters, digits, - _ .)` };
  return dataKey === undefined ? { secret } : { secret, dataKey };
}

/** The one workload a rollout spec names. */
export function workloadOf(spec: KubeRolloutSpec): { field: keyof typeof WORKLOADS; kind: (typeof WORKLOADS)[keyof typeof WORKLOADS]; name: string } {
  const field = (Object.keys(WORKLOADS) as (keyof typeof WORKLOADS)[]).find((f) => spec[f] !== undefined) ?? 'deployment';
  return { field, kind: WORKLOADS[field], name: spec[field] ?? '' };
}
