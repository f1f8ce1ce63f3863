import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateFunctionCommand, LambdaClient, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { awsConfig, iam, scratchDir } from './env';

// What runs from a place a credential sits in, seeded on moto: a Lambda function (its environment) that
// callers reach through an alias, and an ECS service running a task definition family.

/** A Lambda function whose environment holds `vars`; callers use alias `live`, on a version of the same code as $LATEST. */
export async function functionWith(name: string, vars: Record<string, string>): Promise<void> {
  const lambda = new LambdaClient(awsConfig());
  try {
    const role = (await iam().send(new CreateRoleCommand({ RoleName: `${name}-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!;
    const dir = scratchDir('lambda');
    execFileSync('python3', ['-c', `import zipfile;z=zipfile.ZipFile('${dir}/fn.zip','w');z.writestr('index.js','exports.handler=async()=>1');z.close()`]);
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: role.Arn!, Handler: 'index.handler', Code: { ZipFile: readFileSync(`${dir}/fn.zip`) }, Environment: { Variables: vars } }));
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: name, Description: 'first' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: v1.Version! }));
  } finally {
    lambda.destroy();
  }
}

/** Task definition family `family` (container `app` with `environment`) and service `service` of cluster `cluster` running its revision 1. */
export async function serviceRunning(o: { family: string; cluster: string; service: string; environment: Record<string, string> }): Promise<void> {
  const ecs = new ECSClient(awsConfig());
  try {
    const environment = Object.entries(o.environment).map(([name, value]) => ({ name, value }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: o.family, containerDefinitions: [{ name: 'app', image: 'example/batch:1', memory: 128, environment }] }));
    await ecs.send(new CreateClusterCommand({ clusterName: o.cluster }));
    await ecs.send(new CreateServiceCommand({ cluster: o.cluster, serviceName: o.service, taskDefinition: `${o.family}:1`, desiredCount: 1 }));
  } finally {
    ecs.destroy();
  }
}
