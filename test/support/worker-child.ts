import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Starts test/support/worker-process.ts in its own process; resolves once it polls. */
export async function spawnWorker(o: {
  taskQueue: string;
  inventory: string;
  dataDir: string;
  crashAfter?: string;
  nodeArgs?: string[];
  /** Run with production's worker options (the bench), not the tests' short sticky-queue timeout. */
  production?: boolean;
}) {
  mkdirSync(o.dataDir, { recursive: true });
  const inventoryFile = path.join(o.dataDir, 'inventory.yaml');
  writeFileSync(inventoryFile, o.inventory);
  const child: ChildProcess = spawn(process.execPath, [...(o.nodeArgs ?? []), '-r', '@swc-node/register', path.join(__dirname, 'worker-process.ts')], {
    env: { ...process.env, TASK_QUEUE: o.taskQueue, INVENTORY_FILE: inventoryFile, DATA_DIR: o.dataDir, ...(o.crashAfter ? { CRASH_AFTER: o.crashAfter } : {}), ...(o.production ? { PRODUCTION_OPTIONS: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => output.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited early (${code}):\n${output}`)));
  });
  return {
    child,
    exited,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
}
