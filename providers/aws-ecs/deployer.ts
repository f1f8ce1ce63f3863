import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { durationMs } from '../../domain/duration';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { perRegion, type AwsConfig } from '../aws/config';
import { PermanentError, type Deployer, type IncidentContext } from '../types';
import { ecsCall } from './errors';
import { parseEcsKey, type EcsServiceSpec, type EcsTaskDefinitionSpec } from './spec';
import { incidentRevision, revisionName } from './task-definitions';

/**
 * An ECS service's deploy: move the service to the revision this incident registered in its family
 * (found by the revision's incident tag, as the Lambda deployer finds its version by description), then
 * follow the rollout. A retried redeploy sees the service already on that revision and updates nothing.
 */
export class EcsServiceDeployer implements Deployer {
  readonly kind = 'aws-ecs-service' as const;
  private readonly clients: (region: string | undefined) => ECSClient;

  constructor(private readonly cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new ECSClient(c));
  }

  async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = consumer.deployerSpec as EcsServiceSpec;
    const family = familyOf(consumer, spec, this.cfg.region);
    const client = this.clients(spec.region);
    const what = `ECS service ${spec.service}`;
    const target = await ecsCall(what, () => incidentRevision(client, family, ctx.incidentId));
    if (!target?.taskDefinitionArn) throw new PermanentError(`consumer ${consumer.name}: no ACTIVE revision of task-definition family "${family}" was registered by ${ctx.incidentId} (was its value written?)`, 'not-found');
    const revision = revisionName(target.taskDefinitionArn);
    const service = await describe(client, spec);
    const running = revisionName(service.taskDefinition ?? '');
    if (running !== revision) {
      // A service that runs another family is not this consumer's: moving it would swap its application.
      if (running.split(':')[0] !== family) throw new PermanentError(`${what} runs ${running || 'no task definition'}, not a revision of family "${family}" that consumer ${consumer.name} writes`, 'invalid');
      await ecsCall(what, () => client.send(new UpdateServiceCommand({ cluster: spec.cluster, service: spec.service, taskDefinition: target.taskDefinitionArn })));
    }
    return { consumer: consumer.name, id: revision, statusUrl: `ecs:${spec.cluster}/${spec.service}` };
  }

  async waitFor(handle: DeployHandle, raw: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = raw as EcsServiceSpec;
    const client = this.clients(spec.region);
    const revision = handle.id;
    const deadline = Date.now() + durationMs(spec.timeout);
    for (;;) {
      heartbeat();
      const s = await describe(client, spec);
      const state = rollout(s, revision);
      if (state.failed) throw new PermanentError(`ECS service ${spec.service}: ${state.failed}`, 'failed');
      if (spec.until === 'accepted') return { consumer: handle.consumer, id: revision, status: 'succeeded', detail: `service ${spec.service} on ${revision} (rollout not followed: until accepted)` };
      if (state.steady) return { consumer: handle.consumer, id: revision, status: 'succeeded', detail: `service ${spec.service} steady on ${revision} (${state.seen})` };
      if (Date.now() > deadline) throw new PermanentError(`ECS service ${spec.service}: not steady on ${revision} after ${spec.timeout}: ${state.seen}`, 'failed');
      await new Promise((r) => setTimeout(r, durationMs(spec.pollInterval)));
    }
  }
}

/** The family the consumer's store writes: the service is moved to a revision of it, and only of it. */
function familyOf(consumer: ResolvedConsumer, spec: EcsServiceSpec, defaultRegion: string): string {
  if (consumer.storeSpec.kind !== 'aws-ecs-task-definition') {
    throw new PermanentError(`consumer ${consumer.name}: an aws-ecs-service deploy moves the service to the revision an aws-ecs-task-definition store registered, and this consumer's store is ${consumer.storeSpec.kind}`, 'invalid');
  }
  const store = consumer.storeSpec as EcsTaskDefinitionSpec;
  const [storeRegion, serviceRegion] = [store.region ?? defaultRegion, spec.region ?? defaultRegion];
  if (storeRegion !== serviceRegion) throw new PermanentError(`consumer ${consumer.name}: the task definition is in ${storeRegion}, the service in ${serviceRegion}`, 'invalid');
  const key = parseEcsKey(consumer.key);
  if ('problem' in key) throw new PermanentError(`consumer ${consumer.name}: key ${key.problem}`, 'invalid');
  return key.family;
}

async function describe(client: ECSClient, spec: EcsServiceSpec): Promise<Service> {
  const what = `ECS service ${spec.service}`;
  const r = await ecsCall(what, () => client.send(new DescribeServicesCommand({ cluster: spec.cluster, services: [spec.service] })));
  const s = r.services?.[0];
  // DescribeServices reports a missing service as a failure entry, not an error.
  if (!s || s.status !== 'ACTIVE') throw new PermanentError(`${what} in cluster ${spec.cluster}: ${s ? `is ${s.status}` : (r.failures?.[0]?.reason ?? 'not found')}`, 'not-found');
  return s;
}

/**
 * Where the service's rollout to `revision` stands. Steady is ECS's own services-stable rule (what the
 * SDK's waitUntilServicesStable checks: one deployment left, as many tasks running as desired) for the
 * PRIMARY deployment on our revision, and rolloutState COMPLETED where ECS reports one. Failed: ECS
 * gave the rollout up (circuit breaker), or the service has moved on to another revision since.
 */
function rollout(s: Service, revision: string): { steady: boolean; failed?: string; seen: string } {
  const deployments = s.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const ours = deployments.find((d) => revisionName(d.taskDefinition ?? '') === revision);
  const seen = describeDeployment(primary, deployments.length, s.events?.[0]?.message);
  if (ours?.rolloutState === 'FAILED') return { steady: false, failed: `the rollout of ${revision} failed: ${ours.rolloutStateReason ?? 'no reason given'}`, seen };
  const current = revisionName(s.taskDefinition ?? '');
  if (current !== revision) return { steady: false, failed: `the service now runs ${current}, not ${revision} (rolled back, or deployed again since)`, seen };
  const steady =
    !!primary &&
    revisionName(primary.taskDefinition ?? '') === revision &&
    deployments.length === 1 &&
    primary.runningCount === primary.desiredCount &&
    (primary.rolloutState === undefined || primary.rolloutState === 'COMPLETED');
  return { steady, seen };
}

/** What a person reads when the wait ends: the PRIMARY deployment's revision, rollout state and tasks, and ECS's latest event. */
function describeDeployment(primary: Deployment | undefined, count: number, event: string | undefined): string {
  if (!primary) return 'no PRIMARY deployment';
  const parts = [`PRIMARY deployment on ${revisionName(primary.taskDefinition ?? '?')}`, `rollout ${primary.rolloutState ?? 'not reported'}`, `${primary.runningCount ?? 0}/${primary.desiredCount ?? 0} tasks running`, `${count} deployment(s)`];
  if (event) parts.push(`last event: ${event.slice(0, 200)}`);
  return parts.join(', ');
}
