import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient, ListVersionsByFunctionCommand, PublishVersionCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import type { DeployHandle, DeployResult } from '../../domain/results';
import type { DeployerSpec, ResolvedConsumer } from '../../domain/schemas';
import { perRegion, permanentOnAwsError, type AwsConfig } from '../aws/config';
import type { Deployer, IncidentContext } from '../types';
import type { LambdaPublishSpec } from './spec';

/**
 * A Lambda function's deploy: publish a version holding the new environment, then move the alias to it.
 * One version per incident and consumer: the version's description names them, and a retried redeploy
 * finds that version instead of publishing another.
 */
export class LambdaPublishDeployer implements Deployer {
  readonly kind = 'aws-lambda-publish' as const;
  private readonly clients: (region: string | undefined) => LambdaClient;

  constructor(cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new LambdaClient(c));
  }

  async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
    const spec = consumer.deployerSpec as LambdaPublishSpec;
    const client = this.clients(spec.region);
    const description = `leakstop ${ctx.incidentId} ${consumer.name}`.slice(0, 256);
    const version = (await this.published(client, spec.function, description)) ?? (await call(spec, () => client.send(new PublishVersionCommand({ FunctionName: spec.function, Description: description })))).Version!;
    if (spec.alias) await call(spec, () => client.send(new UpdateAliasCommand({ FunctionName: spec.function, Name: spec.alias!, FunctionVersion: version })));
    return { consumer: consumer.name, id: `${spec.function}:${version}`, statusUrl: `lambda:${spec.function}:${version}` };
  }

  async waitFor(handle: DeployHandle, raw: DeployerSpec, heartbeat: () => void): Promise<DeployResult> {
    const spec = raw as LambdaPublishSpec;
    const client = this.clients(spec.region);
    const version = handle.id.slice(handle.id.lastIndexOf(':') + 1);
    for (let wait = 200; ; wait = Math.min(wait * 2, 5000)) {
      heartbeat();
      const c = await call(spec, () => client.send(new GetFunctionConfigurationCommand({ FunctionName: spec.function, Qualifier: version })));
      if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') return { consumer: handle.consumer, id: handle.id, status: 'failed', detail: c.StateReason ?? c.LastUpdateStatusReason };
      if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, wait));
    }
    if (spec.alias) {
      const alias = await call(spec, () => client.send(new GetAliasCommand({ FunctionName: spec.function, Name: spec.alias! })));
      if (alias.FunctionVersion !== version) return { consumer: handle.consumer, id: handle.id, status: 'failed', detail: `alias ${spec.alias} points at version ${alias.FunctionVersion}, not ${version}` };
    }
    return { consumer: handle.consumer, id: handle.id, status: 'succeeded', detail: spec.alias ? `alias ${spec.alias} → version ${version}` : `version ${version}` };
  }

  /** The version an earlier attempt of this incident published, if any. */
  private async published(client: LambdaClient, fn: string, description: string): Promise<string | undefined> {
    let Marker: string | undefined;
    do {
      const page = await client.send(new ListVersionsByFunctionCommand({ FunctionName: fn, Marker }));
      const mine = page.Versions?.find((v) => v.Description === description && v.Version !== '$LATEST');
      if (mine) return mine.Version;
      Marker = page.NextMarker;
    } while (Marker);
    return undefined;
  }
}

const call = <T>(spec: LambdaPublishSpec, fn: () => Promise<T>): Promise<T> => permanentOnAwsError(`Lambda ${spec.function}`, fn);
