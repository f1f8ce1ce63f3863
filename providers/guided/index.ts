import type { ProviderModule } from '../module';
import { GuidedProvider } from './credential';
import { guidedKind } from './kind';
import { GuidedConfigSchema } from './settings';

/** Every credential Leakstop cannot call: a durable incident whose issuer-side steps a person does, with instructions per type. */
export const guidedModule: ProviderModule = {
  name: 'guided',
  credential: guidedKind,
  config: GuidedConfigSchema,
  create(ctx) {
    return { credential: new GuidedProvider(GuidedConfigSchema.parse(ctx.config ?? {}), ctx.vault) };
  },
};
