import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mergeJson } from '../../domain/merge';
import { redact } from '../../domain/redact';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import type { SecretsManagerSpec } from './spec';
import { awsErrorReason, orNotFound, perRegion, type AwsConfig } from '../aws/config';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';

/** Secret values read at once while discovery lists a store. */
const SCAN_CONCURRENCY = 10;

/**
 * AWS Secrets Manager. Idempotency comes from the API itself: the version id is a token derived from
 * the incident and consumer, so a retried write finds its version instead of creating another.
 */
export class SecretsManagerStore implements SecretStore {
  readonly kind = 'aws-secrets-manager' as const;
  private readonly clients: (region: string | undefined) => SecretsManagerClient;

  constructor(cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new SecretsManagerClient(c));
  }

  async write(consumer: ResolvedConsumer, value: string, ctx: IncidentContext): Promise<StoreWrite> {
    const client = this.client(consumer);
    const token = versionToken(ctx.incidentId, consumer.name);
    const result = { consumer: consumer.name, store: consumer.store, key: consumer.key, version: token };
    const existing = await client
      .send(new GetSecretValueCommand({ SecretId: consumer.key, VersionId: token }))
      .then(() => true, (err) => (awsErrorReason(err) === 'not-found' ? false : Promise.reject(err)));
    if (existing) return { ...result, changed: false };
    if (consumer.merge) value = mergeJson((await client.send(new GetSecretValueCommand({ SecretId: consumer.key })).catch(orNotFound))?.SecretString, value);
    try {
      await client.send(new PutSecretValueCommand({ SecretId: consumer.key, SecretString: value, ClientRequestToken: token }));
    } catch (err) {
      if (awsErrorReason(err) !== 'not-found') throw permanent(err, consumer);
      await client
        .send(new CreateSecretCommand({ Name: consumer.key, SecretString: value, ClientRequestToken: token }))
        .catch((e) => Promise.reject(permanent(e, consumer)));
    }
    return { ...result, changed: true };
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    const r = await this.client(consumer)
      .send(new GetSecretValueCommand({ SecretId: consumer.key }))
      .catch(orNotFound);
    return r?.SecretString;
  }

  async scan(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const client = this.clients((spec as SecretsManagerSpec).region);
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListSecretsCommand({ NextToken, MaxResults: 100, ...(prefix ? { Filters: [{ Key: 'name', Values: [prefix] }] } : {}) }), { abortSignal: signal });
      // Values are read a few at a time: one request each, and a page holds up to 100.
      const list = page.SecretList ?? [];
      for (let i = 0; i < list.length && !signal.aborted; i += SCAN_CONCURRENCY) {
        await Promise.all(
          list.slice(i, i + SCAN_CONCURRENCY).map(async (secret) => {
            const value = await client.send(new GetSecretValueCommand({ SecretId: secret.ARN ?? secret.Name }), { abortSignal: signal }).catch(orNotFound);
            if (value?.SecretString !== undefined && secret.Name) visit(secret.Name, value.SecretString);
          }),
        );
      }
      NextToken = page.NextToken;
    } while (NextToken && !signal.aborted);
  }

  private client(consumer: ResolvedConsumer): SecretsManagerClient {
    return this.clients(consumer.storeSpec.kind === 'aws-secrets-manager' ? (consumer.storeSpec as SecretsManagerSpec).region : undefined);
  }
}

/** A UUID-shaped token (Secrets Manager wants 32-64 characters) that is the same on every retry. */
function versionToken(incidentId: string, consumer: string): string {
  const h = createHash('sha256').update(`${incidentId}\0${consumer}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function permanent(err: unknown, consumer: ResolvedConsumer): unknown {
  const reason = awsErrorReason(err);
  const e = err as Error;
  return reason ? new PermanentError(`Secrets Manager ${consumer.key}: ${e.name}: ${redact(e.message)}`, reason) : err;
}

