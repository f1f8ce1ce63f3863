import type { ProviderModule } from '../module';
import { OpenBaoKvSpecSchema } from './spec';
import { OpenBaoKvStore } from './store';

/** OpenBao / Vault KV v2 as a store: a field merged into a secret, check-and-set, one version per change. */
export const openBaoModule: ProviderModule = {
  name: 'openbao',
  stores: [{ kind: 'openbao-kv', spec: OpenBaoKvSpecSchema }],
  create: (ctx) => ({ stores: [new OpenBaoKvStore(ctx.env)] }),
};
