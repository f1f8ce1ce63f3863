import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { awsIamKind } from './kind';
import { AwsIamProvider } from './provider';

/** AWS IAM access keys: identify, map, contain (deactivate), rotate, verify through STS, delete. */
export const awsIamModule: ProviderModule = {
  name: 'aws-iam',
  credential: awsIamKind,
  create: (ctx) => ({ credential: new AwsIamProvider(awsSettings(ctx), ctx.vault) }),
};
