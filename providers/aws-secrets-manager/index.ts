import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { SecretsManagerSpecSchema } from './spec';
import { SecretsManagerStore } from './store';

/** AWS Secrets Manager as a store: one version per incident and consumer (ClientRequestToken). */
export const secretsManagerModule: ProviderModule = {
  name: 'aws-secrets-manager',
  stores: [{ kind: 'aws-secrets-manager', spec: SecretsManagerSpecSchema }],
  create: (ctx) => ({ stores: [new SecretsManagerStore(awsSettings(ctx))] }),
};
