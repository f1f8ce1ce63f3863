import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SA } from '../workflows/definitions';
import { temporalExecutable } from './temporal-cli';
import { freePort, withFreshPorts } from './net';

export interface EmbeddedTemporal {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * A real `temporal server start-dev`: SQLite in the data folder (incidents survive a restart),
 * Leakstop's search attributes registered, web UI when asked for. Started and stopped through the
 * Temporal SDK's ephemeral-server support, which waits until the server answers.
 */
export async function startEmbeddedTemporal(opts: {
  dataDir: string;
  /** Fixed ports fail fast when taken; ports left out are picked free, and retried on a clash. */
  port?: number;
  ui?: boolean;
  uiPort?: number;
  /** Where the UI asks to decode payloads (Leakstop's codec server). */
  codecEndpoint?: string;
}): Promise<EmbeddedTemporal> {
  mkdirSync(opts.dataDir, { recursive: true });
  const fixed = opts.port !== undefined && (!opts.ui || opts.uiPort !== undefined);
  return withFreshPorts('Temporal dev server', fixed ? 1 : 3, async () => {
    const port = opts.port ?? (await freePort());
    const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : undefined;
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: temporalExecutable(),
        ip: '127.0.0.1',
        port,
        dbFilename: path.join(opts.dataDir, 'temporal.sqlite'),
        ui: opts.ui ?? false,
        uiPort,
        searchAttributes: Object.values(SA),
        log: { format: 'pretty', level: 'error' },
        extraArgs: [
          // Eager activities: the first activity of a workflow task starts on the worker that completed it,
          // without a trip through the task queue (containment comes sooner).
          '--dynamic-config-value',
          'system.enableActivityEagerExecution=true',
          ...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : []),
        ],
      },
    });
    return {
      address: env.address,
      uiUrl: uiPort ? `http://localhost:${uiPort}` : undefined,
      stop: () => env.teardown(),
    };
  });
}
