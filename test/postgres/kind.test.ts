import { redact } from '../../domain/redact';
import { catalog } from '../../providers';
import { canonical, parseConnectionString } from '../../providers/postgres/connection-string';
import { PostgresConfigSchema } from '../../providers/postgres/config';
import { credentialIdOf, parseCredentialId, postgresKind } from '../../providers/postgres/kind';
import { findSecret } from '../../triggers/slack/secrets';
import { randomPassword } from './harness';

// The kind without a server: every shape a leaked connection string takes names one credential id, the
// id never holds the password, and every shape is masked wherever Leakstop writes.

const pw = randomPassword();

test('a URI, TruffleHog\'s decoded Raw and a libpq key=value string of one credential name the same credential id', () => {
  const shapes = [
    `postgres://app:${pw}@DB.internal:5432/orders`,
    `postgresql://app:${encodeURIComponent(pw)}@db.internal/other?sslmode=require`,
    `host=db.internal port=5432 user=app password=${pw} dbname=orders`,
    `user='app' password='${pw}' host=db.internal`,
    `postgres://db.internal:5432/orders?user=app&password=${pw}`,
  ];
  const ids = shapes.map((s) => {
    const r = postgresKind.recognise({ scanner: 'trufflehog', type: 'Postgres', raw: s });
    if (!('credentialId' in r)) throw new Error(`not recognised: ${JSON.stringify(r)}`);
    expect(r.secret).toBe(`postgresql://app:${pw}@db.internal:5432`);
    return r.credentialId;
  });
  expect(new Set(ids).size).toBe(1);
  expect(ids[0]).toMatch(/^app@db\.internal:5432#[0-9a-f]{16}$/);
  expect(ids[0]).not.toContain(pw);
  expect(postgresKind.checkId(ids[0]!)).toBeUndefined();
  expect(postgresKind.display(ids[0]!)).toMatch(/^postgres app@db\.internal:5432 #[0-9a-f]{8}$/);
});

test('passwords with @ : / and quotes survive each form; another password is another incident', () => {
  const hard = "p@ss:w/o'rd x";
  const uri = parseConnectionString(`postgresql://app:${hard}@db.internal:6432`); // TruffleHog decodes, so @ and / arrive raw
  const kv = parseConnectionString(`host=db.internal port=6432 user=app password='p@ss:w/o\\'rd x'`);
  expect(uri).toEqual({ ok: true, credential: { user: 'app', password: hard, host: 'db.internal', port: 6432 } });
  expect(kv).toEqual(uri);
  const v6 = parseConnectionString(`postgres://app:${pw}@[::1]:5433/db`);
  expect(v6.ok && canonical(v6.credential)).toBe(`postgresql://app:${pw}@[::1]:5433`);
  const a = credentialIdOf({ user: 'app', password: pw, host: 'db.internal', port: 5432 });
  const b = credentialIdOf({ user: 'app', password: `${pw}x`, host: 'db.internal', port: 5432 });
  expect(a).not.toBe(b);
  expect(parseCredentialId(a)).toMatchObject({ role: 'app', host: 'db.internal', port: 5432 });
});

test('what is not a credential Leakstop acts on is refused with the reason, never the value', () => {
  const noPassword = postgresKind.recognise({ scanner: 'trufflehog', type: 'Postgres', raw: 'postgres://app@db.internal/x' });
  expect(noPassword).toEqual({ ignore: expect.stringContaining('no password') });
  // A role name that is not a plain identifier never reaches SQL: refused at the door.
  const injected = postgresKind.recognise({ scanner: 'pasted', raw: `postgres://app";DROP ROLE x;--:${pw}@db.internal/x` });
  expect(injected).toEqual({ invalid: expect.stringContaining('role name') });
  expect(JSON.stringify(injected)).not.toContain(pw);
  expect(postgresKind.recognise({ scanner: 'gitguardian', type: 'postgresql_credentials' })).toEqual({ unidentified: expect.stringContaining('hash') });
  expect(postgresKind.checkId(`postgres://app:${pw}@db.internal`)).toMatch(/not the connection string/);
  expect(postgresKind.checkId(`postgres://app:${pw}@db.internal`)).not.toContain(pw);
  expect(postgresKind.checkId('app@db.internal:5432')).toBeDefined();
  expect(postgresKind.checkId('app@db.internal:99999#0123456789abcdef')).toBeDefined();
  // The longest id Leakstop makes still fits an incident input (credentialId: at most 200 characters).
  const longest = credentialIdOf({ user: 'r'.repeat(63), password: pw, host: `${'h'.repeat(106)}.com`, port: 65535 });
  expect(longest.length).toBeLessThanOrEqual(200);
  expect(catalog.IncidentInputSchema.safeParse({ provider: 'postgres', credentialId: longest, exposure: { source: 'cli', public: false }, requestedBy: 't' }).success).toBe(true);
  expect(postgresKind.recognise({ scanner: 'trufflehog', type: 'Postgres', raw: `postgresql://app:${pw}@${'h'.repeat(120)}.com:5432` })).toEqual({ ignore: expect.stringContaining('110') });
});

test('the catalog routes TruffleHog\'s Postgres detector (by name and by number) and GitGuardian\'s to this kind', () => {
  expect(catalog.forScanner('trufflehog', 'Postgres')?.kind).toBe('postgres');
  expect(catalog.forScanner('trufflehog', 968)?.kind).toBe('postgres');
  expect(catalog.forScanner('gitguardian', 'postgresql_credentials')?.kind).toBe('postgres');
});

test('every connection-string shape with a password is masked in text, and recognised when pasted', () => {
  const texts = [
    `DATABASE_URL=postgres://app:${pw}@db.internal:5432/orders`,
    `dsn: "postgresql://app:${encodeURIComponent(pw)}@db.internal/orders"`,
    `conn = "host=db.internal port=5432 user=app password=${pw} dbname=orders"`,
    `password='${pw} with space'`,
    `POSTGRES://APP:${pw}@DB.INTERNAL/ORDERS`,
  ];
  for (const t of texts) {
    const out = redact(t);
    expect(out).not.toContain(pw);
    expect(out).toContain('[redacted]');
    expect(findSecret(t)).toMatch(/^postgres-/);
  }
  // The host stays readable: people need to know which server it was.
  expect(redact(`postgres://app:${pw}@db.internal:5432/orders`)).toBe('postgres://…[redacted]db.internal:5432/orders');
  expect(findSecret('set password=x in the form')).toBeUndefined();
});

test('the patterns stay linear on hostile text', () => {
  const hostile = [`postgres://${'a'.repeat(60)}:${'b:'.repeat(200_000)}`, `password=${"'".repeat(100_000)}`, `${'password= '.repeat(50_000)}`, `postgres://${':@'.repeat(100_000)}`];
  for (const text of hostile) {
    const started = process.hrtime.bigint();
    redact(text);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1500);
  }
});

test('material is rendered the way applications read it', () => {
  const m = { pgUser: 'app_b', pgPassword: pw, pgHost: 'db.internal', pgPort: '5432', pgDatabase: 'orders' };
  expect(postgresKind.render(m, 'url')).toBe(`postgresql://app_b:${pw}@db.internal:5432/orders`);
  expect(postgresKind.render(m, 'username')).toBe('app_b');
  expect(postgresKind.render(m, 'password')).toBe(pw);
  expect(JSON.parse(postgresKind.render(m, 'json')!)).toEqual({ PGHOST: 'db.internal', PGPORT: '5432', PGUSER: 'app_b', PGPASSWORD: pw, PGDATABASE: 'orders', DATABASE_URL: `postgresql://app_b:${pw}@db.internal:5432/orders` });
  expect(postgresKind.render({}, 'url')).toBeUndefined();
});

test('the inventory section: passwords only by reference, swap needs a partner, each problem named', () => {
  const base = { host: '127.0.0.1', admin: { user: 'leakstop', passwordEnv: 'PG_MAIN' } };
  expect(PostgresConfigSchema.safeParse({ clusters: { main: base } }).success).toBe(true);
  const inline = PostgresConfigSchema.safeParse({ clusters: { main: { ...base, admin: { user: 'leakstop', password: 'hunter2hunter2' } } } });
  expect(inline.success).toBe(false);
  const swap = PostgresConfigSchema.safeParse({ clusters: { main: { ...base, roles: { app: { regenerate: 'swap' } } } } });
  expect(swap.success || swap.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['clusters.main.roles.app.swapWith: regenerate: swap needs the partner role (swapWith)']);
  expect(() => catalog.parseInventory(`providers:\n  postgres:\n    clusters:\n      main: { host: 127.0.0.1, admin: { user: x } }\n`)).toThrow(/providers\.postgres\.clusters\.main\.admin/);
});
