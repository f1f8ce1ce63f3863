import { awsSettings } from '../aws/config';
import type { ProviderModule } from '../module';
import { LambdaPublishDeployer } from './deployer';
import { LambdaEnvSpecSchema, LambdaPublishSpecSchema } from './spec';
import { LambdaEnvStore } from './store';

/** AWS Lambda: the function's environment as a store, publishing a version (and moving an alias) as its deploy. */
export const lambdaModule: ProviderModule = {
  name: 'aws-lambda',
  stores: [{ kind: 'aws-lambda-env', spec: LambdaEnvSpecSchema }],
  deployers: [{ kind: 'aws-lambda-publish', spec: LambdaPublishSpecSchema }],
  create: (ctx) => ({ stores: [new LambdaEnvStore(awsSettings(ctx))], deployers: [new LambdaPublishDeployer(awsSettings(ctx))] }),
};
