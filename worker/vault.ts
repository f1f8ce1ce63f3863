import path from 'node:path';
import { registerSecret } from '../domain/redact';
import { LocalFileVault } from '../providers/local-vault/vault';
import { PostgresVault } from '../providers/postgres-vault/vault';
import type { SecretVault } from '../providers/types';
import type { CodecKeys } from './codec';

/**
 * Where new credentials wait between regenerate and the stores (and leaked tokens a trigger received):
 * with LEAKSTOP_VAULT_URL (a postgres:// URL), a table in PostgreSQL that every worker, the ingress and
 * the CLI share, encrypted with a key derived from LEAKSTOP_CODEC_KEYS; otherwise files in the data
 * folder, which is enough for one host (the local default). Several worker hosts need the shared one.
 */
export function openVault(o: { dataDir: string; url?: string; keys: CodecKeys }): SecretVault & { close(): Promise<void> } {
  if (!o.url) {
    const files = new LocalFileVault(path.join(o.dataDir, 'vault'));
    return Object.assign(files, { close: async () => undefined });
  }
  let parsed: URL;
  try {
    parsed = new URL(o.url);
  } catch {
    throw new Error('LEAKSTOP_VAULT_URL: must be a postgres:// URL (postgres://user:password@host:5432/database)');
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) throw new Error(`LEAKSTOP_VAULT_URL: must be a postgres:// URL, got a ${parsed.protocol}// one`);
  // The URL holds the database password: it never reaches a log.
  if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
  return new PostgresVault({ connectionString: o.url, keys: o.keys });
}
