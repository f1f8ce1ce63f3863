import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort, waitUntil, withFreshPorts } from '../../worker/net';

// A throwaway PostgreSQL server for the run (Debian's `postgresql` package, installed by
// scripts/setup-postgres.sh): initdb in a temp folder, pg_ctl on a free loopback port, settings that
// trade durability for speed. PostgreSQL refuses to run as root, so as root the programs run as the
// `postgres` user (runuser), which then owns the folder.

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  /** The bootstrap superuser: the tests' own set-up (making roles, grants, tables). */
  superuser: string;
  password: string;
  /** The role Leakstop connects as in the tests: CREATEROLE, pg_signal_backend, pg_read_all_stats; not a superuser. */
  admin: { user: string; password: string };
  dir: string;
  /** The server's log (DDL statements included). */
  logFile: string;
  stop(): Promise<void>;
}

export const POSTGRES_ADMIN = 'leakstop_admin';

/** Where initdb and pg_ctl are: PATH, then Debian's /usr/lib/postgresql/<major>/bin, newest first. */
export function postgresBin(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL is not installed (no initdb/pg_ctl): run `bash scripts/setup-postgres.sh` (installs Debian\'s postgresql package)');
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
async function pgProgram(bin: string, program: string, args: string[]): Promise<string> {
  const file = path.join(bin, program);
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const { stdout } = await run(cmd, argv, { timeout: 60_000 });
  return stdout;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-pg-'));
  if (asRoot()) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const superuser = 'leakstop_test_super';
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot()) chownSync(pwfile, ...(await ownerOf(dir)));
  const data = path.join(dir, 'data');
  await pgProgram(bin, 'initdb', ['-D', data, '-U', superuser, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync']);
  rmSync(pwfile, { force: true });

  const started = await withFreshPorts('PostgreSQL', 3, async () => {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      "-c unix_socket_directories=''",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
      '-c log_min_messages=warning',
      // Every DDL statement is logged, so the leak canary can show that no password ever reaches SQL text.
      '-c log_statement=ddl',
    ].join(' ');
    const log = path.join(dir, `server-${port}.log`);
    try {
      await pgProgram(bin, 'pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', log, '-o', options]);
      await waitUntil(() => connects(port, superuser, password), 15_000, () => `PostgreSQL on ${port} does not answer`);
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-5).join('\n') : '';
      await pgProgram(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate']).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n${tail}`);
    }
    return { port, log };
  });

  // Leakstop's own role in the tests: the privileges the provider's README asks for, and no more.
  const adminPassword = randomBytes(18).toString('base64url');
  await asSuperuser({ port: started.port, superuser, password }, async (c) => {
    await c.query(`CREATE ROLE ${POSTGRES_ADMIN} LOGIN CREATEROLE PASSWORD '${adminPassword}'`);
    await c.query(`GRANT pg_signal_backend, pg_read_all_stats TO ${POSTGRES_ADMIN}`);
  });

  return {
    host: '127.0.0.1',
    port: started.port,
    superuser,
    password,
    admin: { user: POSTGRES_ADMIN, password: adminPassword },
    dir,
    logFile: started.log,
    async stop() {
      await pgProgram(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '30']).catch(() => pgProgram(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate']));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function ownerOf(dir: string): Promise<[number, number]> {
  const { stdout } = await run('stat', ['-c', '%u %g', dir]);
  const [u, g] = stdout.trim().split(' ').map(Number);
  return [u!, g!];
}

async function connects(port: number, user: string, password: string): Promise<boolean> {
  const c = new Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A connection as the server's superuser, for a test's set-up; closed after `f`. */
export async function asSuperuser<T>(s: { host?: string; port: number; superuser: string; password: string }, f: (c: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const c = new Client({ host: s.host ?? '127.0.0.1', port: s.port, user: s.superuser, password: s.password, database });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}
