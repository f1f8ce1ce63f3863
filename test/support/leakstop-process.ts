import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitUntil } from '../../worker/net';

/**
 * `worker/main.ts` in a process of its own, as production runs it (LEAKSTOP_ROLE=worker or ingress, all
 * its settings from the environment), so a test can SIGKILL it like a lost host.
 */
export async function spawnLeakstop(name: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', '..', 'worker', 'main.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const died = exited.then(() => Promise.reject(new Error(`${name} exited at start (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`)));
  died.catch(() => undefined);
  try {
    await Promise.race([waitUntil(async () => output.includes('"msg":"ready.'), 90_000, () => `${name} did not get ready:\n${output.slice(-3000)}`), died]);
  } catch (err) {
    if (!gone()) child.kill('SIGKILL');
    throw err;
  }
  return {
    name,
    child,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (!gone()) child.kill(signal);
      await exited;
    },
  };
}
export type LeakstopProcess = Awaited<ReturnType<typeof spawnLeakstop>>;
