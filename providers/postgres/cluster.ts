import { Client, escapeIdentifier, escapeLiteral, type ClientConfig } from 'pg';
import { redact } from '../../domain/redact';
import { PermanentError } from '../types';
import type { PgRoleAttributes, PgSession } from './blast-radius';
import { adminPassword, type Cluster } from './config';

// Leakstop's connections to a cluster: as its administrator (every change, every look at roles and
// sessions), and as a leaked or new credential (only to see whether the server accepts it). Values go
// in as query parameters; a role name, which may come from a leaked string, only ever through
// escapeIdentifier, and a password only as its SCRAM verifier through escapeLiteral.

const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 8_000;
/** SQLSTATEs that mean the server refused the login itself (class 28: invalid authorization). */
const REFUSED_LOGIN = new Set(['28P01', '28000']);

export const ident = escapeIdentifier;
export const literal = escapeLiteral;

function clientConfig(cluster: Cluster, user: string, password: string, database = cluster.database): ClientConfig {
  return {
    host: cluster.host,
    port: cluster.port,
    user,
    password,
    database,
    ssl: cluster.ssl === 'disable' ? false : { rejectUnauthorized: cluster.ssl === 'verify-full' },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 1_000,
    application_name: 'leakstop',
  };
}

export type Probe = { live: true } | { live: false; because: string };

/** Whether the server accepts this role and password now. A refusal is an answer; a network failure throws (retryable). */
export async function probe(cluster: Cluster, user: string, password: string, database?: string): Promise<Probe> {
  const c = new Client(clientConfig(cluster, user, password, database));
  c.on('error', () => undefined); // a terminated session must not crash the worker
  try {
    await c.connect();
    return { live: true };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code && REFUSED_LOGIN.has(code)) return { live: false, because: `${code}: ${oneLine((err as Error).message)}` };
    // Authenticated, then refused the database: the password works.
    if (code === '42501' || code === '3D000') return { live: true };
    throw new Error(`could not reach PostgreSQL cluster ${cluster.name} at ${cluster.host}:${cluster.port}: ${oneLine((err as Error).message)}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Runs `f` on a connection as the cluster's administrator; errors retrying cannot fix become PermanentError, with the step named. */
export async function asAdmin<T>(cluster: Cluster, env: NodeJS.ProcessEnv, what: string, f: (db: Client) => Promise<T>): Promise<T> {
  const c = new Client(clientConfig(cluster, cluster.admin.user, adminPassword(cluster, env)));
  c.on('error', () => undefined);
  try {
    try {
      await c.connect();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && REFUSED_LOGIN.has(code)) throw new PermanentError(`Leakstop cannot log in to PostgreSQL cluster ${cluster.name} as ${cluster.admin.user} (${code}): check providers.postgres.clusters.${cluster.name}.admin`, 'denied');
      throw new Error(`could not reach PostgreSQL cluster ${cluster.name} at ${cluster.host}:${cluster.port}: ${oneLine((err as Error).message)}`);
    }
    return await f(c);
  } catch (err) {
    if (err instanceof PermanentError) throw err;
    const code = (err as { code?: string }).code;
    const message = oneLine((err as Error).message);
    if (code === '42501') throw new PermanentError(`could not ${what} on cluster ${cluster.name}: ${cluster.admin.user} lacks the privilege (${message}); see providers/postgres/README.md for what it needs`, 'denied');
    if (code === '42704') throw new PermanentError(`could not ${what} on cluster ${cluster.name}: ${message}`, 'not-found');
    throw new Error(`could not ${what} on cluster ${cluster.name}: ${message}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const oneLine = (s: string) => redact(s.split('\n')[0]!).slice(0, 300);

export async function roleAttributes(db: Client, role: string): Promise<PgRoleAttributes | undefined> {
  const r = await db.query(
    `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    superuser: row.rolsuper,
    createRole: row.rolcreaterole,
    createDb: row.rolcreatedb,
    login: row.rolcanlogin,
    replication: row.rolreplication,
    bypassRls: row.rolbypassrls,
    connectionLimit: row.rolconnlimit,
    validUntil: row.rolvaliduntil ? new Date(row.rolvaliduntil).toISOString() : null,
    memberOf: row.member_of,
  };
}

export async function sessionsOf(db: Client, role: string): Promise<PgSession[]> {
  const r = await db.query(
    `SELECT pid, datname, host(client_addr) AS client, application_name, state, backend_start
       FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid() ORDER BY backend_start`,
    [role],
  );
  return r.rows.map((s) => ({
    pid: s.pid,
    database: s.datname,
    client: s.client,
    application: s.application_name || null,
    state: s.state,
    since: s.backend_start ? new Date(s.backend_start).toISOString() : null,
  }));
}

/**
 * Ends the role's sessions (those opened before `before`, when given) and waits until they are gone, so
 * "terminated" means the server no longer serves them. Returns how many were ended.
 */
export async function terminateSessions(db: Client, role: string, before?: string): Promise<number> {
  const r = await db.query(
    `SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity
      WHERE usename = $1 AND pid <> pg_backend_pid() AND ($2::timestamptz IS NULL OR backend_start < $2::timestamptz)`,
    [role, before ?? null],
  );
  const pids: number[] = r.rows.map((x) => x.pid);
  if (!pids.length) return 0;
  for (let i = 0; i < 250; i++) {
    const left = await db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]);
    if (left.rows[0].n === 0) return pids.length;
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error(`sessions of ${role} did not end within 5 s of pg_terminate_backend`);
}

/** The server's clock now: when a change took effect, comparable with pg_stat_activity.backend_start. */
export async function serverNow(db: Client): Promise<string> {
  return new Date((await db.query('SELECT clock_timestamp() AS now')).rows[0].now).toISOString();
}

/** What a role may do, as comparable strings: memberships, databases, schemas and tables of the connected database. */
export async function privilegesOf(db: Client, role: string): Promise<Set<string>> {
  const r = await db.query(
    `SELECT 'member of ' || g.rolname AS p FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1
     UNION ALL
     SELECT 'CONNECT on database ' || datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege($1, oid, 'CONNECT')
     UNION ALL
     SELECT p || ' on schema ' || nspname FROM pg_namespace, unnest(ARRAY['USAGE', 'CREATE']) p
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND has_schema_privilege($1, oid, p)
     UNION ALL
     SELECT p || ' on ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
            unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
      WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND has_table_privilege($1, c.oid, p)`,
    [role],
  );
  return new Set(r.rows.map((x) => x.p as string));
}

/** Where a role reaches, for the blast radius: databases, and in the connected database its schemas and tables. */
export async function reachOf(db: Client, role: string, maxTables = 100) {
  // One after the other: a pg client runs one query at a time.
  const databases = await db.query(
    `SELECT datname::text AS d FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege($1, oid, 'CONNECT') ORDER BY 1`,
    [role],
  );
  const schemas = await db.query(
    `SELECT nspname::text AS schema, ARRAY(SELECT p FROM unnest(ARRAY['USAGE', 'CREATE']) p WHERE has_schema_privilege($1, n.oid, p)) AS privileges
       FROM pg_namespace n WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`,
    [role],
  );
  const tables = await db.query(
    `SELECT n.nspname || '.' || c.relname AS "table",
            ARRAY(SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p WHERE has_table_privilege($1, c.oid, p)) AS privileges
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1`,
    [role],
  );
  const withPrivileges = <T extends { privileges: string[] }>(rows: T[]) => rows.filter((r) => r.privileges.length > 0);
  const reachable = withPrivileges(tables.rows as { table: string; privileges: string[] }[]);
  return {
    databases: databases.rows.map((r) => r.d as string),
    schemas: withPrivileges(schemas.rows as { schema: string; privileges: string[] }[]),
    tables: { items: reachable.slice(0, maxTables), more: Math.max(0, reachable.length - maxTables) },
  };
}
