import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { AwsIamConfigSchema, type AwsIamConfig } from './config';
import { awsIamKind } from './kind';
import { AwsIamProvider } from './provider';

/**
 * AWS IAM access keys: identify, map, contain (deactivate), rotate, verify through STS, delete; in
 * Leakstop's own account, and in others through the role its section (`providers.aws-iam`) names.
 */
export const awsIamModule: ProviderModule = {
  name: 'aws-iam',
  credential: awsIamKind,
  config: AwsIamConfigSchema,
  create: (ctx) => ({ credential: new AwsIamProvider(awsSettings(ctx), ctx.vault, ctx.config as AwsIamConfig | undefined) }),
};
