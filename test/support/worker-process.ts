import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { parseInventory } from '../../providers';
import { createLogger, installTemporalLogging } from '../../worker/log';
import { buildDeps, createWorker } from '../../worker/wiring';
import { awsConfig, codecKeys, testEnv } from './env';

// A worker in its own process, so a test can SIGKILL it mid-runbook like a crashed host.
// Env: LEAKSTOP_TEST_ENV, TASK_QUEUE, INVENTORY_FILE, DATA_DIR, CRASH_AFTER, PRODUCTION_OPTIONS.
async function run() {
  // Logs as in production: JSON lines on stdout through the redacting logger (the canary reads them).
  installTemporalLogging(createLogger(), 'INFO');
  const dataDir = process.env.DATA_DIR!;
  const connection = await NativeConnection.connect({ address: testEnv().temporalAddress });
  const deps = buildDeps({
    inventory: parseInventory(readFileSync(process.env.INVENTORY_FILE!, 'utf8')),
    aws: awsConfig(),
    dataDir,
    reportsDir: path.join(dataDir, 'reports'),
    keys: codecKeys(),
  });
  const worker = await createWorker({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    deps,
    keys: codecKeys(),
    workflowBundlePath: testEnv().bundlePath,
    options: {
      // A dead worker's sticky queue is abandoned after this; keeps the test short. The bench keeps
      // production's default (PRODUCTION_OPTIONS): under load, 1 s would send live workflows' tasks
      // back through the normal queue with a full replay.
      ...(process.env.PRODUCTION_OPTIONS ? {} : { stickyQueueScheduleToStartTimeout: '1s' }),
      // CRASH_AFTER=<activity>: die like a lost host right after that activity's side effect is done
      // and before Temporal hears of it, the worst moment for idempotency.
      ...(process.env.CRASH_AFTER ? { interceptors: { activity: [crashAfter(process.env.CRASH_AFTER)] } } : {}),
    },
  });
  process.stdout.write('ready\n');
  await worker.run();
}

function crashAfter(activityType: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (ctx.info.activityType === activityType) process.kill(process.pid, 'SIGKILL');
        return result;
      },
    },
  });
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
