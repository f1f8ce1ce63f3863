import { DescribeServicesCommand, ListClustersCommand, ListServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import type { Runner, Runners } from '../discovery';
import { EcsServiceSpecSchema, parseEcsKey, type EcsTaskDefinitionSpec } from './spec';
import { latestActive, revisionName } from './task-definitions';

// What runs from a task-definition family, for discovery: the ECS services (every cluster of the store's
// region) on the revision the store copies, each moved by the ECS deployer to the revision the write
// registers. A service on another revision of the family is left to a person: the new revision copies the
// latest one, so moving it would change its image and settings too. So is one that ECS does not deploy
// itself (CodeDeploy, an external controller), since UpdateService cannot move it.

/** DescribeServices takes at most this many services per call. */
const DESCRIBE_AT_ONCE = 10;

export async function ecsRunners(client: ECSClient, spec: EcsTaskDefinitionSpec, key: string, signal: AbortSignal): Promise<Runners> {
  const parsed = parseEcsKey(key);
  if ('problem' in parsed) throw new Error(`key ${parsed.problem}`);
  const { family } = parsed;
  const latest = await latestActive(client, family, signal);
  if (!latest) throw new Error(`task-definition family "${family}" has no ACTIVE revision`);
  const copied = `${family}:${latest.definition.revision}`;
  const runners: Runner[] = [];
  const leftAlone: string[] = [];
  for await (const { cluster, service } of servicesOf(client, family, signal)) {
    const where = `ECS service ${cluster}/${service.serviceName}`;
    const running = revisionName(service.taskDefinition ?? '');
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS') {
      leftAlone.push(`${where} is deployed by ${controller}: not moved; deploy ${family} there by hand`);
    } else if (running !== copied) {
      leftAlone.push(`${where} runs ${running}, not ${copied} (the revision the new value is written to a copy of): not moved, since that would change its containers too; deploy it by hand`);
    } else {
      // `cluster.service`: ECS names hold no dot, so no two runners share one.
      const deployer = EcsServiceSpecSchema.parse({ kind: 'aws-ecs-service', cluster, service: service.serviceName, ...(spec.region ? { region: spec.region } : {}), ...spec.redeploy });
      runners.push({ name: `${cluster}.${service.serviceName}`, deployer });
    }
  }
  return { runners, leftAlone };
}

/** The ACTIVE services of every cluster whose task definition is a revision of `family`. */
async function* servicesOf(client: ECSClient, family: string, signal: AbortSignal): AsyncGenerator<{ cluster: string; service: Service }> {
  const options = { abortSignal: signal };
  let clusterToken: string | undefined;
  do {
    const clusters = await client.send(new ListClustersCommand({ nextToken: clusterToken }), options);
    for (const arn of clusters.clusterArns ?? []) {
      const cluster = arn.slice(arn.lastIndexOf('/') + 1);
      let serviceToken: string | undefined;
      do {
        const page = await client.send(new ListServicesCommand({ cluster: arn, nextToken: serviceToken, maxResults: 100 }), options);
        const arns = page.serviceArns ?? [];
        for (let i = 0; i < arns.length; i += DESCRIBE_AT_ONCE) {
          const described = await client.send(new DescribeServicesCommand({ cluster: arn, services: arns.slice(i, i + DESCRIBE_AT_ONCE) }), options);
          for (const service of described.services ?? []) {
            if (service.status === 'ACTIVE' && service.serviceName && revisionName(service.taskDefinition ?? '').split(':')[0] === family) yield { cluster, service };
          }
        }
        serviceToken = page.nextToken;
      } while (serviceToken && !signal.aborted);
      if (signal.aborted) return;
    }
    clusterToken = clusters.nextToken;
  } while (clusterToken && !signal.aborted);
}
