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
  const name = (err as { name?: string })?.name ?? '';
  if (/AccessDenied|UnauthorizedOperation|InvalidClientTokenId|SignatureDoesNotMatch/.test(name)) return 'denied';
  if (/NoSuchEntity|NotFound|ParameterNotFound/.test(name)) return 'not-found';
  if (/LimitExceeded/.test(name)) return 'limit';
  if (/ValidationError|InvalidParameter|MalformedPolicy/.test(name)) return 'invalid';
  return undefined;
}
