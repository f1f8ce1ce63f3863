import { createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, escapeIdentifier as ident, escapeLiteral as literal } from 'pg';
import { redact } from '../domain/redact';
import { looksLikeSecret } from '../domain/secret-patterns';
import { PostgresVault, type VaultKeys } from '../providers/postgres-vault/vault';
import type { SecretMaterial } from '../providers/types';
import { findLeaks } from './support/canary';
import { eventually, testEnv } from './support/env';
import { asSuperuser } from './support/postgres-server';

// The PostgreSQL vault against the run's real server: a database of its own, owned by a role that is not a
// superuser (as Leakstop's would be). That role's statements are all logged with their parameters
// (log_statement = all), so reading the server log shows what actually reached the server.

const pg = () => testEnv().postgres;
const owner = `vault_${randomUUID().slice(0, 8)}`;
const database = owner;
const ownerPassword = randomBytes(18).toString('base64url');
let url = '';

const opened: PostgresVault[] = [];
function vault(keys: VaultKeys, table?: string): PostgresVault {
  const v = new PostgresVault({ connectionString: url, keys, ...(table ? { table } : {}) });
  opened.push(v);
  return v;
}

/** As the server's superuser, in the vault's database: what a reader of the database sees and can change. */
const raw = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) => asSuperuser(pg(), async (c) => (await c.query<T>(sql, params)).rows, database);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const K1: VaultKeys = { active: 'k1', keys: { k1: randomBytes(32) } };

/** A value the redactor treats as a secret (random keys occasionally look too regular; draw again). */
function secretValue(): string {
  for (;;) {
    const v = randomBytes(30).toString('base64');
    if (looksLikeSecret(v)) return v;
  }
}
const awsMaterial = (): { accessKeyId: string; secretAccessKey: string } => ({
  accessKeyId: `AKIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
  secretAccessKey: secretValue(),
});
const handleFor = (m: { accessKeyId: string }) => `new/aws-iam/${m.accessKeyId}/${randomUUID()}`;

/** The message of what `f` throws. */
async function failure(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  await asSuperuser(pg(), async (c) => {
    await c.query(`SET log_statement = 'none'`); // the role's password stays out of the server log
    await c.query(`CREATE ROLE ${ident(owner)} LOGIN PASSWORD ${literal(ownerPassword)}`);
    await c.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner)}`);
    await c.query(`ALTER ROLE ${ident(owner)} SET log_statement = 'all'`);
  });
  url = `postgresql://${owner}:${ownerPassword}@${pg().host}:${pg().port}/${database}`;
});

afterAll(async () => {
  await Promise.all(opened.map((v) => v.close()));
  await asSuperuser(pg(), async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${ident(owner)}`);
  });
});

test('put then get round-trips the material; an unknown or deleted handle reads as undefined; delete is idempotent', async () => {
  const v = vault(K1, `roundtrip_${randomUUID().slice(0, 8)}`);
  expect(await v.get(`new/aws-iam/unknown/${randomUUID()}`)).toBeUndefined(); // the first use creates the table
  const m = awsMaterial();
  const handle = handleFor(m);
  await v.put(handle, m);
  expect(await v.get(handle)).toEqual(m);
  await v.delete(handle);
  expect(await v.get(handle)).toBeUndefined();
  await v.delete(handle);
  await v.delete(`new/aws-iam/never-put/${randomUUID()}`);
  expect(await v.get(handle)).toBeUndefined();
});

test('two hosts (two instances, two pools) share entries, and the reading host learns what to redact', async () => {
  // The second host loads its own copy of every module, so its redactor starts knowing nothing.
  let host2: { Vault: typeof PostgresVault; redact: typeof redact } | undefined;
  jest.isolateModules(() => {
    host2 = {
      Vault: (require('../providers/postgres-vault/vault') as typeof import('../providers/postgres-vault/vault')).PostgresVault,
      redact: (require('../domain/redact') as typeof import('../domain/redact')).redact,
    };
  });
  const writer = vault(K1);
  const reader = new host2!.Vault({ connectionString: url, keys: K1 });
  opened.push(reader as PostgresVault);

  // A secret of no known format (an AWS secret key's would be masked by its pattern anyway): only registration hides it.
  let secret = '';
  do secret = randomBytes(24).toString('base64url');
  while (!looksLikeSecret(secret) || !host2!.redact(`value ${secret}`).includes(secret) || !redact(`value ${secret}`).includes(secret));
  const m = { ...awsMaterial(), secretAccessKey: secret };
  const handle = handleFor(m);
  await writer.put(handle, m);
  expect(redact(`value ${secret}`)).not.toContain(secret); // the writer registered it on put
  expect(host2!.redact(`value ${secret}`)).toContain(secret);

  expect(await reader.get(handle)).toEqual(m);
  expect(host2!.redact(`value ${secret}`)).not.toContain(secret); // registered on get

  await reader.delete(handle);
  expect(await writer.get(handle)).toBeUndefined();
});

test('the table and the server log hold neither the secret nor the handle; the row decrypts only with the derived key and its handle hash', async () => {
  const table = `opaque_${randomUUID().slice(0, 8)}`;
  const v = vault(K1, table);
  const m = awsMaterial();
  const handle = handleFor(m);
  await v.put(handle, m);

  const rows = await raw<{ handle: string; key_id: string; iv: Buffer; auth_tag: Buffer; ciphertext: Buffer; created_at: Date }>(`SELECT * FROM ${ident(table)}`);
  expect(rows).toHaveLength(1);
  const row = rows[0]!;
  expect(row).toMatchObject({ handle: sha256(handle), key_id: 'k1' });
  expect(row.created_at).toBeInstanceOf(Date);
  const dump = rows.flatMap((r) => Object.values(r).map((x) => (Buffer.isBuffer(x) ? `${x.toString('latin1')} ${x.toString('hex')} ${x.toString('base64')}` : String(x)))).join('\n');
  expect(findLeaks('table', dump, { secret: m.secretAccessKey, handle, accessKeyId: m.accessKeyId })).toEqual([]);

  // What the doc comment promises: AES-256-GCM under HMAC-SHA256(codec key, 'leakstop vault v1'), the handle's hash as AAD.
  const decrypt = (key: Buffer, aad: string) => {
    const d = createDecipheriv('aes-256-gcm', key, row.iv);
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(row.auth_tag);
    return JSON.parse(Buffer.concat([d.update(row.ciphertext), d.final()]).toString('utf8'));
  };
  const derived = createHmac('sha256', K1.keys.k1!).update('leakstop vault v1').digest();
  expect(decrypt(derived, sha256(handle))).toEqual(m);
  expect(() => decrypt(K1.keys.k1!, sha256(handle))).toThrow(); // the codec key itself is not the vault's key
  expect(() => decrypt(derived, sha256(`${handle}x`))).toThrow();

  // The role's statements are logged with their parameters: the INSERT reached the server, the secret did not.
  const log = await eventually(async () => {
    const text = readFileSync(pg().logFile, 'utf8');
    return text.includes(sha256(handle)) ? text : undefined;
  }, 10_000, 'the INSERT in the server log');
  expect(findLeaks('server log', log, { secret: m.secretAccessKey, handle })).toEqual([]);
});

describe('an entry that was tampered with', () => {
  const table = `tamper_${randomUUID().slice(0, 8)}`;

  test('a ciphertext with one byte flipped fails get with a clear error that holds no value', async () => {
    const v = vault(K1, table);
    const m = awsMaterial();
    const handle = handleFor(m);
    await v.put(handle, m);
    await raw(`UPDATE ${ident(table)} SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE handle = $1`, [sha256(handle)]);
    const message = await failure(() => v.get(handle));
    expect(message).toMatch(/vault entry was altered .*or written with another key/);
    expect(message).not.toContain(m.secretAccessKey);
    expect(message).not.toContain(handle);
  });

  test("a row copied under another handle's hash does not decrypt", async () => {
    const v = vault(K1, table);
    const m = awsMaterial();
    const source = handleFor(m);
    const victim = `new/aws-iam/AKIAVICTIM/${randomUUID()}`;
    await v.put(source, m);
    await raw(`INSERT INTO ${ident(table)} (handle, key_id, iv, auth_tag, ciphertext) SELECT $2, key_id, iv, auth_tag, ciphertext FROM ${ident(table)} WHERE handle = $1`, [sha256(source), sha256(victim)]);
    const message = await failure(() => v.get(victim));
    expect(message).toMatch(/vault entry was altered .*or written with another key/);
    expect(message).not.toContain(m.secretAccessKey);
    expect(await v.get(source)).toEqual(m); // the original is intact
  });
});

test('key rotation: old rows read with the old key kept; a process without the key names it and says what to do', async () => {
  const table = `rotation_${randomUUID().slice(0, 8)}`;
  const old = randomBytes(32);
  const before = vault({ active: 'old', keys: { old } }, table);
  const after = vault({ active: 'new', keys: { new: randomBytes(32), old } }, table);
  const stranger = vault({ active: 'other', keys: { other: randomBytes(32) } }, table);

  const m = awsMaterial();
  const handle = handleFor(m);
  await before.put(handle, m);
  expect(await after.get(handle)).toEqual(m);

  const message = await failure(() => stranger.get(handle));
  expect(message).toContain('"old"');
  expect(message).toContain('LEAKSTOP_CODEC_KEYS of every worker must include it');
  expect(message).not.toContain(m.secretAccessKey);

  // What the rotated process writes carries the new key's id; a process still on the old keys cannot read it.
  const m2 = awsMaterial();
  const handle2 = handleFor(m2);
  await after.put(handle2, m2);
  expect(await raw(`SELECT key_id FROM ${ident(table)} WHERE handle = $1`, [sha256(handle2)])).toEqual([{ key_id: 'new' }]);
  expect(await failure(() => before.get(handle2))).toContain('"new"');
});

describe('creating the table', () => {
  test('two fresh instances putting at the same moment on a fresh table both succeed', async () => {
    for (let round = 0; round < 8; round++) {
      const table = `race_${round}_${randomUUID().slice(0, 8)}`;
      const [a, b] = [vault(K1, table), vault(K1, table)];
      const [ma, mb] = [awsMaterial(), awsMaterial()];
      const [ha, hb] = [handleFor(ma), handleFor(mb)];
      await Promise.all([a.put(ha, ma), b.put(hb, mb)]);
      expect(await b.get(ha)).toEqual(ma);
      expect(await a.get(hb)).toEqual(mb);
    }
  });

  test('an instance that loses the creation race (another creates the table while it waits) carries on', async () => {
    const table = `held_${randomUUID().slice(0, 8)}`;
    // Another CREATE TABLE that takes no advisory lock (an operator's), not yet committed: one vault passes
    // IF NOT EXISTS and waits on its catalog rows, the other waits for the first's advisory lock.
    const other = new Client({ connectionString: url });
    const watcher = new Client({ connectionString: url });
    await Promise.all([other.connect(), watcher.connect()]);
    try {
      await other.query('BEGIN');
      await other.query(`CREATE TABLE ${ident(table)} (handle text PRIMARY KEY, key_id text NOT NULL, iv bytea NOT NULL, auth_tag bytea NOT NULL, ciphertext bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
      const [a, b] = [vault(K1, table), vault(K1, table)];
      const [ma, mb] = [awsMaterial(), awsMaterial()];
      const [ha, hb] = [handleFor(ma), handleFor(mb)];
      const puts = Promise.allSettled([a.put(ha, ma), b.put(hb, mb)]);
      await eventually(async () => {
        const { rows } = await watcher.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'leakstop-vault' AND wait_event_type = 'Lock'`,
          [database],
        );
        return Number(rows[0]!.n) === 2 || undefined;
      }, 15_000, 'both vaults waiting behind the uncommitted CREATE TABLE');
      await other.query('COMMIT');
      expect((await puts).map((p) => p.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(await a.get(hb)).toEqual(mb);
      expect(await b.get(ha)).toEqual(ma);
    } finally {
      await other.end();
      await watcher.end();
    }
  });
});

test('a put retried with the same handle leaves one row; the last write wins', async () => {
  const table = `retry_${randomUUID().slice(0, 8)}`;
  const v = vault(K1, table);
  const m = awsMaterial();
  const handle = handleFor(m);
  await v.put(handle, m);
  await v.put(handle, m);
  expect(await raw(`SELECT count(*)::int AS n FROM ${ident(table)}`)).toEqual([{ n: 1 }]);
  expect(await v.get(handle)).toEqual(m);

  const replaced: SecretMaterial = { ...m, secretAccessKey: secretValue() };
  await v.put(handle, replaced);
  expect(await raw(`SELECT count(*)::int AS n FROM ${ident(table)}`)).toEqual([{ n: 1 }]);
  expect(await v.get(handle)).toEqual(replaced);
});

test('the table name and the active key are checked at construction', () => {
  for (const table of ['vault; DROP TABLE x', 'Vault', '1vault', 'a'.repeat(64), 'public.vault', '']) {
    expect(() => new PostgresVault({ connectionString: url, keys: K1, table })).toThrow(/table name/);
  }
  expect(() => new PostgresVault({ connectionString: url, keys: { active: 'k9', keys: K1.keys } })).toThrow(/active key "k9"/);
});
