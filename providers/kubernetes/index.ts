import { ConfigError } from '../../domain/inventory';
import type { ProviderModule } from '../module';
import { KubernetesConfigSchema, resolveCluster, type KubernetesConfig } from './config';
import { KubeRolloutDeployer } from './rollout-deployer';
import { KubeSecretStore } from './secret-store';
import { KubeRolloutSpecSchema, KubeSecretSpecSchema } from './spec';

/** Kubernetes: a Secret's data key as a store, `kubectl rollout restart` of a Deployment, StatefulSet or DaemonSet as its deploy. */
export const kubernetesModule: ProviderModule = {
  name: 'kubernetes',
  stores: [{ kind: 'kubernetes-secret', spec: KubeSecretSpecSchema }],
  deployers: [{ kind: 'kubernetes-rollout', spec: KubeRolloutSpecSchema }],
  config: KubernetesConfigSchema,
  create(ctx) {
    const config = ctx.config as KubernetesConfig | undefined;
    // Checked now, so an unknown cluster or a missing token stops the worker at start instead of an incident later.
    for (const [section, entries] of [['stores', ctx.inventory?.stores], ['deployers', ctx.inventory?.deployers]] as const) {
      for (const [name, spec] of Object.entries(entries ?? {})) {
        if (spec.kind !== 'kubernetes-secret' && spec.kind !== 'kubernetes-rollout') continue;
        const cluster = spec.cluster as string;
        if (!config?.clusters[cluster]) throw new ConfigError(`${section}.${name}.cluster: "${cluster}" is not under providers.kubernetes.clusters (configured: ${Object.keys(config?.clusters ?? {}).join(', ') || 'none'})`);
        resolveCluster(config, cluster, ctx.env);
      }
    }
    return { stores: [new KubeSecretStore(config, ctx.env)], deployers: [new KubeRolloutDeployer(config, ctx.env)] };
  },
};
