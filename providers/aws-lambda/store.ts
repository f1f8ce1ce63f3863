import { GetFunctionConfigurationCommand, LambdaClient, ListFunctionsCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { perRegion, permanentOnAwsError, type AwsConfig } from '../aws/config';
import { environmentPatch, holdsAll } from '../aws/environment';
import type { Runners } from '../discovery';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { lambdaRunners } from './runners';
import { parseLambdaKey, type LambdaEnvSpec } from './spec';

/** How long a configuration update may stay InProgress before the step fails (and is retried). */
const UPDATE_WAIT_MS = 60_000;

/**
 * A Lambda function's environment variables. A write merges only the consumer's variables into the
 * function's (others are kept), skips the update when they already hold the value (a retry), and waits
 * until Lambda reports the update `Successful`. With a RevisionId, the update is conditional on it.
 */
export class LambdaEnvStore implements SecretStore {
  readonly kind = 'aws-lambda-env' as const;
  private readonly clients: (region: string | undefined) => LambdaClient;

  constructor(cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new LambdaClient(c));
  }

  async write(consumer: ResolvedConsumer, value: string, _ctx: IncidentContext): Promise<StoreWrite> {
    const { client, fn, variable } = this.target(consumer);
    const patch = environmentPatch(consumer, variable, value, 'function#VARIABLE');
    const base = { consumer: consumer.name, store: consumer.store, key: consumer.key };
    const current = await this.call(consumer, () => client.send(new GetFunctionConfigurationCommand({ FunctionName: fn })));
    const vars = current.Environment?.Variables ?? {};
    if (holdsAll(vars, patch)) return { ...base, version: current.RevisionId ?? current.LastModified ?? 'current', changed: false };
    await this.call(consumer, () =>
      client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: { ...vars, ...patch } }, ...(current.RevisionId ? { RevisionId: current.RevisionId } : {}) })),
    );
    const done = await this.settled(client, fn, consumer);
    return { ...base, version: done.RevisionId ?? done.LastModified ?? 'updated', changed: true };
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    const { client, fn, variable } = this.target(consumer);
    const vars = (await this.call(consumer, () => client.send(new GetFunctionConfigurationCommand({ FunctionName: fn })))).Environment?.Variables ?? {};
    return variable !== undefined ? vars[variable] : JSON.stringify(vars);
  }

  /** Every function (whose name starts with `prefix`), each environment variable visited as `function#VARIABLE`. */
  async scan(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const client = this.clients((spec as LambdaEnvSpec).region);
    let Marker: string | undefined;
    do {
      const page = await client.send(new ListFunctionsCommand({ Marker, MaxItems: 50 }), { abortSignal: signal });
      for (const f of page.Functions ?? []) {
        if (!f.FunctionName || (prefix && !f.FunctionName.startsWith(prefix))) continue;
        for (const [name, value] of Object.entries(f.Environment?.Variables ?? {})) visit(`${f.FunctionName}#${name}`, value);
      }
      Marker = page.NextMarker;
    } while (Marker && !signal.aborted);
  }

  /** The aliases to move to a version published after the write (providers/aws-lambda/runners.ts). */
  runners(spec: StoreSpec, key: string, signal: AbortSignal): Promise<Runners> {
    return lambdaRunners(this.clients((spec as LambdaEnvSpec).region), spec as LambdaEnvSpec, key, signal);
  }

  /** Polls until the update is Successful; Failed is permanent, InProgress past the bound is retried. */
  private async settled(client: LambdaClient, fn: string, consumer: ResolvedConsumer) {
    const deadline = Date.now() + UPDATE_WAIT_MS;
    for (let wait = 200; ; wait = Math.min(wait * 2, 3000)) {
      const c = await this.call(consumer, () => client.send(new GetFunctionConfigurationCommand({ FunctionName: fn })));
      if (c.LastUpdateStatus === 'Failed') throw new PermanentError(`Lambda ${fn}: the configuration update failed: ${c.LastUpdateStatusReason ?? 'no reason given'}`, 'failed');
      if (c.LastUpdateStatus !== 'InProgress') return c;
      if (Date.now() > deadline) throw new Error(`Lambda ${fn}: the configuration update is still in progress after ${UPDATE_WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private target(consumer: ResolvedConsumer) {
    const key = parseLambdaKey(consumer.key);
    if ('problem' in key) throw new PermanentError(`consumer ${consumer.name}: key ${key.problem}`, 'invalid');
    return { client: this.clients((consumer.storeSpec as LambdaEnvSpec).region), ...key };
  }

  private call<T>(consumer: ResolvedConsumer, fn: () => Promise<T>): Promise<T> {
    return permanentOnAwsError(`Lambda ${consumer.key}`, fn);
  }
}
