import type { ProviderModule } from '../module';
import { adminPassword, PostgresConfigSchema, type PostgresConfig } from './config';
import { postgresKind } from './kind';
import { PostgresProvider } from './provider';

/** PostgreSQL role passwords: identify and map a role, lock it or replace its password, rotate (same role or two-role swap), verify, retire. */
export const postgresModule: ProviderModule = {
  name: 'postgres',
  credential: postgresKind,
  config: PostgresConfigSchema,
  create(ctx) {
    const config = ctx.config as PostgresConfig | undefined;
    // Checked now, so a missing administrator password stops the worker at start instead of an incident later; read again when used.
    for (const [name, c] of Object.entries(config?.clusters ?? {})) adminPassword({ ...c, name }, ctx.env);
    return { credential: new PostgresProvider(config, ctx.vault, ctx.env) };
  },
};
