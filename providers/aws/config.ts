import { z } from 'zod';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { redact } from '../../domain/redact';
import { PermanentError } from '../types';

/** How every AWS client is built: real SDK clients, with an endpoint override for local emulators. */
export interface AwsConfig {
  region: string;
  /** e.g. the moto server in tests and the demo. Unset in production. */
  endpoint?: string;
  /** Explicit credentials; unset means the SDK's default chain (env, profile, role). */
  credentials?: AwsCredentialIdentity;
}

export function clientConfig(cfg: AwsConfig, region = cfg.region) {
  return {
    region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
    maxAttempts: 3,
  };
}

/** AWS error names that retrying will not fix, mapped to what a person is told. */
export function awsErrorReason(err: unknown): 'denied' | 'not-found' | 'limit' | 'invalid' | undefined {
  // Unmodelled errors arrive as a generic <Service>ServiceException: their code is in Code / Error.Code.
  const e = err as { name?: string; Code?: string; Error?: { Code?: string }; $metadata?: { httpStatusCode?: number } };
  const name = [e?.name, e?.Code, e?.Error?.Code].filter(Boolean).join(' ');
  if (e?.$metadata?.httpStatusCode === 403 && !/Throttl/.test(name)) return 'denied';
  if (/AccessDenied|UnauthorizedOperation|InvalidClientTokenId|SignatureDoesNotMatch/.test(name)) return 'denied';
  if (/NoSuchEntity|NotFound|ParameterNotFound/.test(name)) return 'not-found';
  if (/LimitExceeded/.test(name)) return 'limit';
  if (/ValidationError|InvalidParameter|MalformedPolicy/.test(name)) return 'invalid';
  return undefined;
}

/** One SDK client per region, made on first use: stores may name a region per consumer. */
export function perRegion<C>(cfg: AwsConfig, make: (config: ReturnType<typeof clientConfig>) => C): (region: string | undefined) => C {
  const clients = new Map<string, C>();
  return (region = cfg.region) => {
    let c = clients.get(region);
    if (!c) clients.set(region, (c = make(clientConfig(cfg, region))));
    return c;
  };
}

/** undefined for "not found" (the value does not exist yet); every other error goes on. */
export const orNotFound = (err: unknown) => (awsErrorReason(err) === 'not-found' ? undefined : Promise.reject(err));

/** The AWS settings a module uses: given in code (tests, the demo) under `aws`, else from the environment. */
export function awsSettings(ctx: { env: NodeJS.ProcessEnv; settings: Record<string, unknown> }): AwsConfig {
  const given = ctx.settings.aws as AwsConfig | undefined;
  if (given) return given;
  return { region: ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION || 'us-east-1', endpoint: ctx.env.LEAKSTOP_AWS_ENDPOINT || undefined };
}

export const awsRegion = () => z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1');

/** Runs an SDK call; an error retrying cannot fix becomes a PermanentError named `${what}: <error>` (redacted). */
export async function permanentOnAwsError<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const reason = awsErrorReason(err);
    if (!reason) throw err;
    throw new PermanentError(`${what}: ${(err as Error).name}: ${redact((err as Error).message)}`, reason);
  }
}
