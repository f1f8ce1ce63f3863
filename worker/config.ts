import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../domain/inventory';
import { parseInventory } from '../providers';
import type { Inventory } from '../domain/schemas';
import type { AwsConfig } from '../providers/aws/config';
import type { GitHubAuth } from '../providers/github/client';

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
  /** `token`: Leakstop's GitHub identity, LEAKSTOP_GITHUB_TOKEN or a GitHub App installation (LEAKSTOP_GITHUB_APP_*). */
  github: { baseUrl?: string; token?: GitHubAuth; postMortemRepository?: string };
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
      token: githubAuth(env),
      postMortemRepository: env.LEAKSTOP_GITHUB_POSTMORTEM_REPO || undefined,
    },
    vaultUrl: env.LEAKSTOP_VAULT_URL || undefined,
    codecTokens: list(env.LEAKSTOP_CODEC_TOKENS),
    codecOrigins: env.LEAKSTOP_CODEC_ORIGINS
      ? list(env.LEAKSTOP_CODEC_ORIGINS)
      : [`http://localhost:${port('LEAKSTOP_TEMPORAL_UI_PORT', 8233)}`, `http://127.0.0.1:${port('LEAKSTOP_TEMPORAL_UI_PORT', 8233)}`],
  };
}

/**
 * Leakstop's GitHub identity: a token (LEAKSTOP_GITHUB_TOKEN), or a GitHub App installation whose tokens
 * are minted as needed (LEAKSTOP_GITHUB_APP_ID, LEAKSTOP_GITHUB_APP_INSTALLATION_ID and
 * LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE, all three). One or the other, checked at start.
 */
function githubAuth(env: NodeJS.ProcessEnv): GitHubAuth | undefined {
  const names = ['LEAKSTOP_GITHUB_APP_ID', 'LEAKSTOP_GITHUB_APP_INSTALLATION_ID', 'LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE'] as const;
  const given = names.filter((n) => env[n]);
  if (given.length === 0) return env.LEAKSTOP_GITHUB_TOKEN || undefined;
  if (env.LEAKSTOP_GITHUB_TOKEN) throw new ConfigError(`LEAKSTOP_GITHUB_TOKEN and ${given[0]}: Leakstop acts on GitHub as one identity, a token or a GitHub App; set one of them`);
  const missing = names.filter((n) => !env[n]);
  if (missing.length) throw new ConfigError(`${missing[0]}: required with ${given[0]} (a GitHub App needs its id, its installation's id and its private key file)`);
  const appId = env.LEAKSTOP_GITHUB_APP_ID!;
  if (!/^(?:[1-9][0-9]{0,11}|Iv[0-9A-Za-z.]{1,40})$/.test(appId)) throw new ConfigError(`LEAKSTOP_GITHUB_APP_ID: must be the App's id (digits) or client id (Iv…), got "${appId.slice(0, 40)}"`);
  const installationId = Number(env.LEAKSTOP_GITHUB_APP_INSTALLATION_ID);
  if (!Number.isSafeInteger(installationId) || installationId < 1) throw new ConfigError(`LEAKSTOP_GITHUB_APP_INSTALLATION_ID: must be the installation's id (a positive integer), got "${env.LEAKSTOP_GITHUB_APP_INSTALLATION_ID!.slice(0, 40)}"`);
  const file = env.LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE!;
  let privateKey: string;
  try {
    privateKey = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    if (createPrivateKey(privateKey).asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    // The file's content is never repeated: it may be a secret of another kind.
    throw new ConfigError(`LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: ${file} does not hold an RSA private key in PEM (the .pem file GitHub generates for the App)`);
  }
  return { appId, installationId, privateKey };
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
