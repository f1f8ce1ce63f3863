import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { SsmSpecSchema } from './spec';
import { SsmStore } from './store';

/** SSM Parameter Store as a store: SecureString, written only when the value differs. */
export const ssmModule: ProviderModule = {
  name: 'aws-ssm',
  stores: [{ kind: 'aws-ssm', spec: SsmSpecSchema }],
  create: (ctx) => ({ stores: [new SsmStore(awsSettings(ctx))] }),
};
