import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../../worker/config';
import { freePort, waitUntil, withFreshPorts } from '../../worker/net';

// A real npm registry for the npm token provider's tests: Verdaccio (pinned in scripts/verdaccio/,
// installed into .tools/verdaccio by scripts/setup-verdaccio.sh), on loopback, with htpasswd accounts,
// no uplinks (it never reaches the internet) and its storage in a temp folder. Tokens are JWTs (the
// `security.api.jwt` mode), and Verdaccio 6.8 checks a generated token's key against its token list on
// every request, so a revoked token is refused.

const VERDACCIO = path.join(ROOT, '.tools', 'verdaccio', 'node_modules', 'verdaccio', 'bin', 'verdaccio');

export interface Verdaccio {
  /** The registry's URL, with a trailing slash (as npm writes registries). */
  url: string;
  /** Where its config, htpasswd file and storage are; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export async function startVerdaccio(): Promise<Verdaccio> {
  if (!existsSync(VERDACCIO)) throw new Error('Verdaccio is not installed: run `bash scripts/setup-verdaccio.sh` (installs the pinned verdaccio from npm into .tools/verdaccio)');
  return withFreshPorts('verdaccio', 3, async () => startOn(await freePort()));
}

async function startOn(port: number): Promise<Verdaccio> {
  const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-verdaccio-'));
  mkdirSync(path.join(dir, 'storage'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, configYaml(dir, port));
  const child: ChildProcess = spawn(process.execPath, [VERDACCIO, '--config', config], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitUntil(async () => exited !== undefined || (await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(2000) })).ok, 30_000, () => `Verdaccio did not start: ${stderr}`);
    if (exited !== undefined) throw new Error(`Verdaccio exited with code ${exited}: ${stderr.trim().split('\n').pop() ?? ''}`);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Accounts in an htpasswd file (created over the API: `PUT /-/user/org.couchdb.user:NAME`), no uplinks,
 * JWT API tokens, every package for authenticated users only, and rate limits out of the tests' way.
 */
function configYaml(dir: string, port: number): string {
  return `
storage: ${JSON.stringify(path.join(dir, 'storage'))}
listen: 127.0.0.1:${port}
auth:
  htpasswd:
    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}
    max_users: 100000
    algorithm: sha1
uplinks: {}
packages:
  '**':
    access: $authenticated
    publish: $authenticated
    unpublish: $authenticated
security:
  api:
    jwt:
      sign:
        expiresIn: 1d
userRateLimit:
  windowMs: 1000
  max: 100000
web:
  enable: false
log: { type: stdout, format: json, level: error }
`;
}
