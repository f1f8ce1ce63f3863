import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { redact } from '../../domain/redact';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import type { SsmSpec } from './spec';
import { awsErrorReason, orNotFound, perRegion, type AwsConfig } from '../aws/config';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { mergeJson } from '../../domain/merge';

/**
 * SSM Parameter Store, SecureString. PutParameter always makes a new version, so a write first reads
 * the current value: when it already holds the new secret (a retry), nothing is written.
 */
export class SsmStore implements SecretStore {
  readonly kind = 'aws-ssm' as const;
  private readonly clients: (region: string | undefined) => SSMClient;

  constructor(cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new SSMClient(c));
  }

  async write(consumer: ResolvedConsumer, value: string, _ctx: IncidentContext): Promise<StoreWrite> {
    const client = this.client(consumer);
    const base = { consumer: consumer.name, store: consumer.store, key: consumer.key };
    const current = await this.current(client, consumer.key);
    if (consumer.merge) value = mergeJson(current?.Value, value);
    if (current?.Value === value) return { ...base, version: String(current.Version), changed: false };
    const kmsKeyId = consumer.storeSpec.kind === 'aws-ssm' ? (consumer.storeSpec as SsmSpec).kmsKeyId : undefined;
    try {
      const r = await client.send(
        new PutParameterCommand({ Name: consumer.key, Value: value, Type: 'SecureString', Overwrite: true, ...(kmsKeyId ? { KeyId: kmsKeyId } : {}) }),
      );
      return { ...base, version: String(r.Version), changed: true };
    } catch (err) {
      const reason = awsErrorReason(err);
      if (!reason) throw err;
      throw new PermanentError(`SSM ${consumer.key}: ${(err as Error).name}: ${redact((err as Error).message)}`, reason);
    }
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    return (await this.current(this.client(consumer), consumer.key))?.Value;
  }

  /** Parameters under a path (`/` without a prefix), decrypted. */
  async scan(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const client = this.clients((spec as SsmSpec).region);
    let NextToken: string | undefined;
    do {
      const page = await client.send(new GetParametersByPathCommand({ Path: prefix ?? '/', Recursive: true, WithDecryption: true, NextToken, MaxResults: 10 }), { abortSignal: signal });
      for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) visit(p.Name, p.Value);
      NextToken = page.NextToken;
    } while (NextToken && !signal.aborted);
  }

  private async current(client: SSMClient, name: string) {
    const r = await client
      .send(new GetParameterCommand({ Name: name, WithDecryption: true }))
      .catch(orNotFound);
    return r?.Parameter;
  }

  private client(consumer: ResolvedConsumer): SSMClient {
    return this.clients(consumer.storeSpec.kind === 'aws-ssm' ? (consumer.storeSpec as SsmSpec).region : undefined);
  }
}
