import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, escapeIdentifier as ident } from 'pg';
import { PolicySchema } from '../../domain/schemas';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { postgresModule } from '../../providers/postgres';
import { PostgresConfigSchema } from '../../providers/postgres/config';
import { canonical, type PgCredential } from '../../providers/postgres/connection-string';
import { credentialIdOf } from '../../providers/postgres/kind';
import type { PostgresProvider } from '../../providers/postgres/provider';
import type { IncidentContext, LeakedCredential } from '../../providers/types';
import { keepSecret } from '../../triggers/keep-secret';
import { scratchDir, testEnv } from '../support/env';
import { asSuperuser } from '../support/postgres-server';

// The PostgreSQL provider against the run's real server (test/support/postgres-server.ts): roles, grants
// and sessions made as the superuser; Leakstop connects as leakstop_admin (CREATEROLE, pg_signal_backend,
// pg_read_all_stats), whose password the inventory names by environment variable only.

export const ADMIN_PASSWORD_ENV = 'LEAKSTOP_TEST_PG_ADMIN_PASSWORD';
/** How applications reach the cluster in these tests: not the address Leakstop connects to. */
export const APP_HOST = 'db.internal';

export const pgServer = () => testEnv().postgres;

/** Set for this process and the worker processes it spawns (they copy process.env). */
export function exportAdminPassword(): void {
  process.env[ADMIN_PASSWORD_ENV] = pgServer().admin.password;
}

/** The module's inventory section: one cluster, `main`, reached by applications as db.internal:<port>. */
export function postgresSection(roles: Record<string, Record<string, unknown>> = {}, defaults: Record<string, unknown> = {}): string {
  const s = pgServer();
  return `
providers:
  postgres:
    clusters:
      main:
        host: ${s.host}
        port: ${s.port}
        aliases: [${APP_HOST}]
        database: postgres
        admin: { user: ${s.admin.user}, passwordEnv: ${ADMIN_PASSWORD_ENV} }
        defaults: ${JSON.stringify(defaults)}
        roles: ${JSON.stringify(roles)}
`;
}

export const superuser = <T>(f: (c: Client) => Promise<T>) => asSuperuser(pgServer(), f);

/** A random password the way people choose them for services (alphanumeric, long enough to be registered as a secret). */
export const randomPassword = () => randomBytes(24).toString('base64').replace(/[+/=]/g, '').slice(0, 28);

export interface TestRole {
  role: string;
  password: string;
  group: string;
  table: string;
  /** The leaked credential as applications write it (db.internal). */
  credential: PgCredential;
  url: string;
}

/**
 * A login role that is a member of a group role holding the grants (the pattern a two-role swap needs),
 * with a table of its own the group may read and write. Unique names per call.
 */
export async function makeRole(prefix: string, o: { directGrant?: boolean } = {}): Promise<TestRole> {
  const tag = `${prefix}_${randomUUID().slice(0, 8)}`;
  const role = `${tag}_app`;
  const group = `${tag}_rw`;
  const table = `${tag}_orders`;
  const password = randomPassword();
  await superuser(async (c) => {
    await c.query(`CREATE ROLE ${ident(group)} NOLOGIN`);
    await c.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD '${password}' IN ROLE ${ident(group)}`);
    await c.query(`CREATE TABLE public.${ident(table)} (id serial PRIMARY KEY, note text)`);
    await c.query(`GRANT SELECT, INSERT ON public.${ident(table)} TO ${ident(group)}`);
    await c.query(`GRANT USAGE ON SEQUENCE public.${ident(`${table}_id_seq`)} TO ${ident(group)}`);
    if (o.directGrant) await c.query(`GRANT DELETE ON public.${ident(table)} TO ${ident(role)}`);
  });
  const credential: PgCredential = { user: role, password, host: APP_HOST, port: pgServer().port };
  return { role, password, group, table, credential, url: `postgres://${role}:${password}@${APP_HOST}:${pgServer().port}/postgres` };
}

/** A connection as an application makes it (to the real address: db.internal is only a name the inventory knows). */
export async function connectAs(user: string, password: string, application = 'orders-api'): Promise<Client> {
  const s = pgServer();
  const c = new Client({ host: s.host, port: s.port, user, password, database: 'postgres', application_name: application, connectionTimeoutMillis: 3000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Whether the server accepts this role and password now (a refusal, not a network failure). */
export async function accepted(user: string, password: string): Promise<boolean> {
  try {
    const c = await connectAs(user, password, 'probe');
    await c.end();
    return true;
  } catch (err) {
    if (/^28/.test((err as { code?: string }).code ?? '')) return false;
    throw err;
  }
}

export async function roleCanLogin(role: string): Promise<boolean | undefined> {
  return superuser(async (c) => (await c.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [role])).rows[0]?.rolcanlogin);
}

export async function sessionsOf(role: string): Promise<number> {
  return superuser(async (c) => (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [role])).rows[0].n);
}

/** The provider as the worker builds it (module factory, inventory section parsed by its schema, a real vault on disk). */
export function harness(o: { roles?: Record<string, Record<string, unknown>>; defaults?: Record<string, unknown> } = {}) {
  exportAdminPassword();
  const dir = scratchDir('postgres');
  const vault = new LocalFileVault(path.join(dir, 'vault'));
  const s = pgServer();
  const config = PostgresConfigSchema.parse({
    clusters: {
      main: { host: s.host, port: s.port, aliases: [APP_HOST], admin: { user: s.admin.user, passwordEnv: ADMIN_PASSWORD_ENV }, defaults: o.defaults ?? {}, roles: o.roles ?? {} },
    },
  });
  const provider = postgresModule.create({ vault, env: process.env, settings: {}, config }).credential as PostgresProvider;
  return {
    dir,
    vault,
    provider,
    /** The leaked connection string handed over as a trigger does: kept in the vault under its credential id. */
    async leak(credential: PgCredential): Promise<LeakedCredential> {
      const id = credentialIdOf(credential);
      const { handle } = await keepSecret(vault, 'leaked', 'postgres', canonical(credential), id);
      return { id, secretHandle: handle };
    },
  };
}

export function incidentContext(policy: Record<string, unknown> = {}): IncidentContext {
  return { incidentId: `leak-postgres-${randomUUID().slice(0, 8)}`, startedAt: new Date().toISOString(), policy: PolicySchema.parse(policy) };
}
