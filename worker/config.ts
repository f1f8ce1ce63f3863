import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../domain/inventory';
import { parseInventory } from '../providers';
import type { Inventory } from '../domain/schemas';
import type { AwsConfig } from '../providers/aws/config';

/** Process configuration, from the environment. The README lists every variable. */
export interface LeakstopConfig {
  /** Unset: start the embedded Temporal dev server. */
  temporalAddress?: string;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  reportsDir: string;
  inventoryPath?: string;
  aws: AwsConfig;
  /** Embedded dev server ports. */
  temporalPort: number;
  uiPort: number;
  /** Bearer tokens for the codec server; none means loopback-only (local default). */
  codecTokens: string[];
  /** Temporal UI origins allowed to call the codec server (CORS). */
  codecOrigins: string[];
  github: { baseUrl?: string; token?: string; postMortemRepository?: string };
  /** The shared vault (postgres://…); unset: files in the data folder (worker/vault.ts). */
  vaultUrl?: string;
}

export const ROOT = path.resolve(__dirname, '..');

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LeakstopConfig {
  const dataDir = path.resolve(env.LEAKSTOP_DATA_DIR ?? path.join(ROOT, '.data'));
  const port = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name}: must be a port number, got "${v}"`);
    return n;
  };
  return {
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.LEAKSTOP_TASK_QUEUE || 'leakstop',
    dataDir,
    reportsDir: path.resolve(env.LEAKSTOP_REPORTS_DIR ?? path.join(dataDir, 'reports')),
    inventoryPath: env.LEAKSTOP_CONFIG || undefined,
    aws: {
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
      endpoint: env.LEAKSTOP_AWS_ENDPOINT || undefined,
    },
    temporalPort: port('LEAKSTOP_TEMPORAL_PORT', 7233),
    uiPort: port('LEAKSTOP_TEMPORAL_UI_PORT', 8233),
    github: {
      baseUrl: env.LEAKSTOP_GITHUB_API_URL || undefined,
      token: env.LEAKSTOP_GITHUB_TOKEN || undefined,
      postMortemRepository: env.LEAKSTOP_GITHUB_POSTMORTEM_REPO || undefined,
    },
    vaultUrl: env.LEAKSTOP_VAULT_URL || undefined,
    codecTokens: list(env.LEAKSTOP_CODEC_TOKENS),
    codecOrigins: env.LEAKSTOP_CODEC_ORIGINS
      ? list(env.LEAKSTOP_CODEC_ORIGINS)
      : [`http://localhost:${port('LEAKSTOP_TEMPORAL_UI_PORT', 8233)}`, `http://127.0.0.1:${port('LEAKSTOP_TEMPORAL_UI_PORT', 8233)}`],
  };
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Reads and validates the inventory; with no file configured, Leakstop knows no consumers. */
export async function loadInventory(file: string | undefined): Promise<Inventory> {
  if (!file) return parseInventory('{}');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read inventory ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseInventory(text, file);
}
