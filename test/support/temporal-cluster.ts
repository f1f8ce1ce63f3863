import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort, waitUntil } from '../../worker/net';
import { asSuperuser } from './postgres-server';

// The production topology of docker-compose.yml, run here: the Temporal server built from the Go module
// proxy (scripts/setup-temporal-server.sh) on the run's PostgreSQL, one process per compose service
// (frontend, two history nodes, matching, Temporal's worker service), each on its own loopback ports.
// Nothing about the cluster is written twice: every process gets its compose service's environment and
// the one-shot jobs run their compose entrypoint scripts; only what a container gets from its network
// (addresses, ports) and from the operator (passwords) is mapped to this machine.

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
export const TEMPORAL_SERVER_DIR = path.join(ROOT, '.tools', 'temporal-server');

type Env = Record<string, string>;
interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | null> | string[];
  entrypoint?: string[];
  volumes?: string[];
}

export function composeFile(): { services: Record<string, ComposeService> } {
  return parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
}

/** A service's environment; `${VAR:?…}` interpolations are left for the caller to replace. */
function environment(svc: ComposeService): Env {
  const raw = svc.environment ?? {};
  const pairs = Array.isArray(raw) ? raw.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, ''])) : Object.entries(raw);
  return Object.fromEntries(pairs.filter(([, v]) => v !== null && v !== '').map(([k, v]) => [k, String(v)]));
}

/** A container path under one of the service's bind mounts of this repository, as a path here. */
function hostPath(svc: ComposeService, containerPath: string): string {
  for (const v of svc.volumes ?? []) {
    const [source, target] = v.split(':') as [string, string];
    if (source.startsWith('./') && (containerPath === target || containerPath.startsWith(`${target}/`))) return path.join(ROOT, source, path.posix.relative(target, containerPath));
  }
  throw new Error(`docker-compose.yml: ${containerPath} is not under a bind mount of the repository`);
}

/** The compose services that run the Temporal server, and the one each process runs (TEMPORAL_SERVICES). */
export function serverServices(): { name: string; env: Env; role: string; image: string; dynamicConfig: string }[] {
  const { services } = composeFile();
  return Object.entries(services)
    .filter(([, svc]) => svc.image?.startsWith('temporalio/server:'))
    .map(([name, svc]) => {
      const env = environment(svc);
      return { name, env, role: env.TEMPORAL_SERVICES!, image: svc.image!, dynamicConfig: hostPath(svc, env.DYNAMIC_CONFIG_FILE_PATH!) };
    });
}

export interface ClusterProcess {
  name: string;
  role: string;
  child: ChildProcess;
  log: string;
}

export interface TemporalCluster {
  /** The frontend's gRPC address. */
  address: string;
  processes: Map<string, ClusterProcess>;
  dir: string;
  /** The PostgreSQL databases the cluster keeps its state in (the canary reads them), and Leakstop's vault's. */
  databases: { main: string; visibility: string; vault: string };
  /** LEAKSTOP_VAULT_URL, as docker-compose.yml gives it to Leakstop: the database temporal-schema made, as its role. */
  vaultUrl: string;
  /** SIGKILLs one process, as a lost host; resolves once it is gone. */
  kill(name: string): Promise<void>;
  /** Starts a killed process again, with the same ports and settings. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

const PORT_VARS: Record<string, string[]> = {
  frontend: ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT'],
  history: ['HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT'],
  matching: ['MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT'],
  worker: ['WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT'],
};

export async function startTemporalCluster(o: { postgres: { host: string; port: number; superuser: string; password: string }; dir: string; log?: (s: string) => void }): Promise<TemporalCluster> {
  const bin = TEMPORAL_SERVER_DIR;
  if (!existsSync(path.join(bin, 'temporal-server'))) throw new Error(`no Temporal server in ${bin}: run \`bash scripts/setup.sh\` (scripts/setup-temporal-server.sh builds it)`);
  mkdirSync(o.dir, { recursive: true });
  const say = o.log ?? (() => undefined);
  const { services } = composeFile();

  // The database role the compose file calls `temporal`, with its own databases for this run.
  const suffix = randomBytes(4).toString('hex');
  const db = { user: `temporal_${suffix}`, password: randomBytes(18).toString('base64url'), name: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}`, vault: `leakstop_vault_${suffix}` };
  await asSuperuser(o.postgres, (c) => c.query(`CREATE ROLE ${db.user} LOGIN CREATEDB PASSWORD '${db.password}'`));

  const began = Date.now();
  // temporal-schema: its entrypoint script, with its environment, against this PostgreSQL.
  const schema = services['temporal-schema']!;
  await runJob('temporal-schema', hostPath(schema, schema.entrypoint!.find((a) => a.endsWith('.sh'))!), {
    ...environment(schema),
    SQL_HOST: o.postgres.host,
    SQL_PORT: String(o.postgres.port),
    SQL_USER: db.user,
    SQL_PASSWORD: db.password,
    DBNAME: db.name,
    VISIBILITY_DBNAME: db.visibility,
    LEAKSTOP_VAULT_DBNAME: db.vault,
    TEMPORAL_SCHEMA_ROOT: path.join(bin, 'schema'),
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
  }, o.dir);
  say(`schema set up in ${Date.now() - began} ms`);

  // One process per server service. Every process knows the frontend's ports (the cluster's address).
  const roles = serverServices();
  const shared: Env = {};
  for (const v of PORT_VARS.frontend!) shared[v] = String(await portFor(v));
  const processes = new Map<string, ClusterProcess>();
  const envs = new Map<string, Env>();
  for (const s of roles) {
    const own: Env = {};
    if (s.role !== 'frontend') for (const v of PORT_VARS[s.role] ?? []) own[v] = String(await portFor(v));
    envs.set(s.name, {
      ...s.env,
      POSTGRES_SEEDS: o.postgres.host,
      DB_PORT: String(o.postgres.port),
      POSTGRES_USER: db.user,
      POSTGRES_PWD: db.password,
      DBNAME: db.name,
      VISIBILITY_DBNAME: db.visibility,
      BIND_ON_IP: '127.0.0.1',
      DYNAMIC_CONFIG_FILE_PATH: s.dynamicConfig,
      ...shared,
      ...own,
    });
  }
  const start = (name: string) => {
    const s = roles.find((r) => r.name === name)!;
    const log = path.join(o.dir, `${name}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const child = spawn(path.join(bin, 'temporal-server'), ['start'], { env: { PATH: process.env.PATH!, ...envs.get(name)! }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    processes.set(name, { name, role: s.role, child, log });
  };
  const address = `127.0.0.1:${shared.FRONTEND_GRPC_PORT}`;
  // The first process records the cluster's metadata in a fresh database; processes starting at the same
  // moment race to insert it and the losers exit (compose restarts them: `restart: unless-stopped`). Here
  // the frontend goes first, and the others start once it listens, past that point.
  const frontend = roles.find((r) => r.role === 'frontend')!;
  start(frontend.name);
  await waitUntil(async () => {
    const p = processes.get(frontend.name)!;
    if (p.child.exitCode !== null) throw new Error(`${frontend.name} exited (${p.child.exitCode}) at start: ${tail(p.log)}`);
    return !(await isFree(Number(shared.FRONTEND_GRPC_PORT)));
  }, 60_000, () => `${frontend.name} does not listen on ${address}: ${tail(processes.get(frontend.name)!.log)}`);
  for (const s of roles) if (s !== frontend) start(s.name);

  const stop = async () => {
    await Promise.all([...processes.values()].map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      const gone = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    }));
  };
  try {
    // temporal-setup: waits for the cluster to serve, makes the namespace and Leakstop's search attributes.
    const setup = services['temporal-setup']!;
    const died = new Promise<never>((_, reject) => {
      for (const p of processes.values()) p.child.once('exit', (code) => reject(new Error(`${p.name} exited (${code}) while the cluster was starting`)));
    });
    died.catch(() => undefined);
    await Promise.race([died, runJob('temporal-setup', hostPath(setup, setup.entrypoint!.find((a) => a.endsWith('.sh'))!), {
      ...environment(setup),
      TEMPORAL_ADDRESS: address,
      PATH: `${path.join(ROOT, '.tools', 'venv', 'bin')}${path.delimiter}${process.env.PATH}`,
    }, o.dir)]);
  } catch (err) {
    await stop();
    const exits = [...processes.values()].filter((p) => p.child.exitCode !== null).map((p) => `${p.name} exited ${p.child.exitCode}: ${tail(p.log)}`);
    throw new Error(`${(err as Error).message}\n${exits.join('\n')}`);
  }
  say(`cluster serving at ${address} after ${Date.now() - began} ms`);

  return {
    address,
    processes,
    dir: o.dir,
    databases: { main: db.name, visibility: db.visibility, vault: db.vault },
    vaultUrl: `postgres://${db.user}:${db.password}@${o.postgres.host}:${o.postgres.port}/${db.vault}`,
    async kill(name) {
      const p = processes.get(name)!;
      const gone = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGKILL');
      await gone;
    },
    async restart(name) {
      start(name);
    },
    stop,
  };
}

/**
 * A free port for one of the server's port variables. The membership table keeps a node's port as a
 * PostgreSQL smallint, so membership ports come from below 32768 (the kernel's ephemeral range starts
 * there, so these are picked at random and checked); the others from the kernel.
 */
async function portFor(variable: string): Promise<number> {
  if (!variable.endsWith('_MEMBERSHIP_PORT')) return freePort();
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await isFree(port)) return port;
  }
  throw new Error('no free port below 32768 for a Temporal membership port');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function runJob(name: string, script: string, env: Env, dir: string): Promise<void> {
  try {
    const { stdout, stderr } = await run('sh', [script], { env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(path.join(dir, `${name}.log`), stdout + stderr);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${name} (${path.relative(ROOT, script)}) failed: ${e.message.split('\n')[0]}\n${(e.stdout ?? '').slice(-2000)}\n${(e.stderr ?? '').slice(-2000)}`);
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-8).join('\n') : '';
}
