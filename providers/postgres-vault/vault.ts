import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { escapeIdentifier, Pool } from 'pg';
import { registerVaultSecrets } from '../local-vault/vault';
import type { SecretMaterial, SecretVault } from '../types';

/**
 * Keeps a new credential between regenerate and the stores in PostgreSQL, so that an incident whose
 * regenerate ran on one worker host can write to the stores from another: workers share no disk, but
 * production already runs PostgreSQL for Temporal. The workflow still holds only the handle.
 *
 * Nothing new is configured or distributed: the vault's AES-256-GCM key is derived from the payload keys
 * every worker and ingress already holds (LEAKSTOP_CODEC_KEYS), as HMAC-SHA256(codec key, 'leakstop vault v1')
 * per key id, the way domain/seal.ts derives its seal key. A reader of the database without those keys
 * sees only ciphertext. Each row records the key id it was written with, so after a rotation old rows
 * still read as long as every worker keeps the old key.
 *
 * A handle is stored only as its SHA-256 (it names the incident and the credential), and that hash is the
 * cipher's additional authenticated data: a row copied under another handle does not decrypt.
 */

/** The payload keys (worker/codec.ts CodecKeys): new entries use `active`, all are accepted. */
export interface VaultKeys {
  active: string;
  keys: Record<string, Buffer>;
}

export interface PostgresVaultOptions {
  connectionString: string;
  keys: VaultKeys;
  /** Created on first use in the connection's schema (search_path). */
  table?: string;
}

const KEY_CONTEXT = 'leakstop vault v1';
/** An unquoted PostgreSQL identifier: the name still goes through escapeIdentifier, this keeps it predictable. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** What a concurrent CREATE TABLE IF NOT EXISTS raises in the loser: the name taken meanwhile. */
const DUPLICATE_TABLE = '42P07';
const UNIQUE_VIOLATION = '23505';
/** The table's row type, created with it: the loser of a creation race may trip on it first. */
const DUPLICATE_OBJECT = '42710';

export class PostgresVault implements SecretVault {
  private readonly pool: Pool;
  private readonly table: string;
  private readonly keys: Map<string, Buffer>;
  private readonly active: string;
  private ready?: Promise<void>;

  constructor(o: PostgresVaultOptions) {
    const table = o.table ?? 'leakstop_vault';
    if (!TABLE_NAME.test(table)) throw new Error(`vault: the table name "${table}" must be lower-case letters, digits and _ (up to 63), starting with a letter or _`);
    if (!o.keys.keys[o.keys.active]) throw new Error(`vault: the active key "${o.keys.active}" is not among the keys`);
    this.table = escapeIdentifier(table);
    this.active = o.keys.active;
    this.keys = new Map(Object.entries(o.keys.keys).map(([id, key]) => [id, createHmac('sha256', key).update(KEY_CONTEXT).digest()]));
    this.pool = new Pool({ connectionString: o.connectionString, max: 3, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5_000, application_name: 'leakstop-vault' });
    this.pool.on('error', () => undefined); // an idle connection the server closed must not crash the worker; the pool replaces it
  }

  async put(handle: string, material: SecretMaterial): Promise<void> {
    registerVaultSecrets(material);
    await this.ensureTable();
    const id = hashOf(handle);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.active)!, iv);
    cipher.setAAD(Buffer.from(id));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(material), 'utf8'), cipher.final()]);
    // Last write wins, as in the file vault: Temporal may run the activity that puts again.
    await this.pool.query(
      `INSERT INTO ${this.table} (handle, key_id, iv, auth_tag, ciphertext) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (handle) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, auth_tag = EXCLUDED.auth_tag, ciphertext = EXCLUDED.ciphertext, created_at = now()`,
      [id, this.active, iv, cipher.getAuthTag(), ciphertext],
    );
  }

  async get(handle: string): Promise<SecretMaterial | undefined> {
    await this.ensureTable();
    const id = hashOf(handle);
    const { rows } = await this.pool.query<{ key_id: string; iv: Buffer; auth_tag: Buffer; ciphertext: Buffer }>(
      `SELECT key_id, iv, auth_tag, ciphertext FROM ${this.table} WHERE handle = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    const key = this.keys.get(row.key_id);
    if (!key) throw new Error(`vault: an entry was written with key "${row.key_id}", which this process does not hold; the LEAKSTOP_CODEC_KEYS of every worker must include it`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, row.iv);
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(row.auth_tag);
      plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]);
    } catch {
      // The cipher's own message says nothing useful, and nothing of the entry belongs in an error.
      throw new Error(`vault: the vault entry was altered (or copied from another handle) or written with another key named "${row.key_id}": it does not authenticate`);
    }
    const material: SecretMaterial = JSON.parse(plain.toString('utf8'));
    registerVaultSecrets(material); // a worker on another host learns what to redact
    return material;
  }

  async delete(handle: string): Promise<void> {
    await this.ensureTable();
    await this.pool.query(`DELETE FROM ${this.table} WHERE handle = $1`, [hashOf(handle)]);
  }

  /** Ends the pool's connections; the vault is not usable afterwards. */
  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** Once per process, and again after a failure (the database was not reachable yet). */
  private ensureTable(): Promise<void> {
    this.ready ??= this.createTable().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async createTable(): Promise<void> {
    // Vaults of this code creating the table take a transaction-scoped advisory lock named after it
    // first, so they create it one after the other and the second one's IF NOT EXISTS sees the first's.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`leakstop vault table ${this.table}`]);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        handle text PRIMARY KEY,
        key_id text NOT NULL,
        iv bytea NOT NULL,
        auth_tag bytea NOT NULL,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // Something that does not take the lock (an operator's or an older version's CREATE TABLE) can still
      // commit the table while this one waits: the loser then hits the catalog's unique index, the row
      // type's name or the table's name, depending on the moment. The table is there either way.
      const e = err as { code?: string; table?: string };
      const lostTheRace =
        e.code === DUPLICATE_TABLE || e.code === DUPLICATE_OBJECT || (e.code === UNIQUE_VIOLATION && (e.table === 'pg_type' || e.table === 'pg_class'));
      if (!lostTheRace) throw err;
    } finally {
      client.release();
    }
  }
}

/** How a handle is stored: SHA-256 hex, so the table names no incident and no credential. */
const hashOf = (handle: string): string => createHash('sha256').update(handle).digest('hex');
