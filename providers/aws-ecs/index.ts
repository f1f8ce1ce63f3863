import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { EcsServiceDeployer } from './deployer';
import { EcsServiceSpecSchema, EcsTaskDefinitionSpecSchema } from './spec';
import { EcsTaskDefinitionStore } from './store';

/** Amazon ECS: a task definition's container environment as a store, moving a service to the new revision as its deploy. */
export const ecsModule: ProviderModule = {
  name: 'aws-ecs',
  stores: [{ kind: 'aws-ecs-task-definition', spec: EcsTaskDefinitionSpecSchema }],
  deployers: [{ kind: 'aws-ecs-service', spec: EcsServiceSpecSchema }],
  create: (ctx) => ({ stores: [new EcsTaskDefinitionStore(awsSettings(ctx))], deployers: [new EcsServiceDeployer(awsSettings(ctx))] }),
};
