import type { ProviderModule } from '../module';
import { HttpHookSpecSchema } from './spec';
import { HttpDeployHook } from './deployer';

/** A generic deploy hook (README, "Deploy hook contract"), followed to its end on its own origin only. */
export const httpDeployHookModule: ProviderModule = {
  name: 'http-deploy-hook',
  deployers: [{ kind: 'http-hook', spec: HttpHookSpecSchema }],
  create: () => ({ deployers: [new HttpDeployHook()] }),
};
