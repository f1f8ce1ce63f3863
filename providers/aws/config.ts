import type { AwsCredentialIdentity } from '@aws-sdk/types';

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
