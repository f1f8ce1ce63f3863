import type { ProviderModule } from '../module';
import { NpmConfigSchema, npmConfig } from './config';
import { NpmTokenProvider } from './credential';
import { npmTokenKind } from './kind';

/** npm registry tokens: identify (whoami, token list), revoke (token API), make a new one with the account's password or ask a person, verify. */
export const npmModule: ProviderModule = {
  name: 'npm',
  credential: npmTokenKind,
  config: NpmConfigSchema,
  create(ctx) {
    return { credential: new NpmTokenProvider(npmConfig(ctx.config), ctx.env, ctx.vault) };
  },
};
