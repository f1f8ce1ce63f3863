import { escapeIdentifier as ident } from 'pg';
import { renderPostgresBlastRadius, type PostgresBlastRadiusFacts } from '../../providers/postgres/blast-radius';
import type { PostgresProvider } from '../../providers/postgres/provider';
import { PermanentError, type SecretVault } from '../../providers/types';
import { accepted, connectAs, harness, incidentContext, makeRole, roleCanLogin, sessionsOf, superuser } from './harness';

// The provider's verbs against the run's real PostgreSQL server, as Leakstop's least-privileged admin role.

test('identify and describe: the role, its attributes, where it reaches, and its live sessions with client addresses', async () => {
  const h = harness();
  const r = await makeRole('ident');
  await superuser((c) => c.query(`ALTER ROLE ${ident(r.role)} CONNECTION LIMIT 7 VALID UNTIL '2031-01-01'`));
  const cred = await h.leak(r.credential);
  const s1 = await connectAs(r.role, r.password, 'orders-api');
  const s2 = await connectAs(r.role, r.password, 'orders-worker');
  try {
    const id = await h.provider.identify(cred);
    expect(id).toMatchObject({ owner: `${r.role}@main`, account: 'main', status: 'active', lastUsed: { service: '2 live session(s)' } });
    const br = await h.provider.describe(cred, id.owner);
    const f = br.facts as PostgresBlastRadiusFacts;
    expect(f.attributes).toMatchObject({ superuser: false, createRole: false, login: true, connectionLimit: 7, validUntil: '2031-01-01T00:00:00.000Z', memberOf: [r.group] });
    expect(f.databases).toEqual(expect.arrayContaining(['postgres']));
    expect(f.schemas).toEqual(expect.arrayContaining([{ schema: 'public', privileges: expect.arrayContaining(['USAGE']) }]));
    expect(f.tables).toMatchObject({ items: expect.arrayContaining([{ table: `public.${r.table}`, privileges: ['SELECT', 'INSERT'] }]) });
    const sessions = 'items' in f.sessions ? f.sessions.items : [];
    expect(sessions.map((s) => [s.client, s.application]).sort()).toEqual([
      ['127.0.0.1', 'orders-api'],
      ['127.0.0.1', 'orders-worker'],
    ]);
    const lines = renderPostgresBlastRadius(br.facts).join('\n');
    expect(lines).toContain('connection limit 7');
    expect(lines).toContain('from 127\\.0.0.1 to postgres (orders-api)'); // escaped for Markdown
    expect(lines).toContain('Sessions when identified');
    expect(lines).not.toContain(r.password);
  } finally {
    await Promise.all([s1.end(), s2.end()]);
  }
});

test('contain (nologin): the role is locked and its sessions really end; a retry changes nothing; LOGIN undoes it', async () => {
  const h = harness();
  const r = await makeRole('nologin');
  const cred = await h.leak(r.credential);
  const attacker = await connectAs(r.role, r.password, 'attacker');
  await attacker.query('SELECT 1');
  const ctx = incidentContext();
  const done = await h.provider.contain(cred, `${r.role}@main`, ctx);
  expect(done).toMatchObject({ changed: true, summary: expect.stringContaining(`set role ${r.role} NOLOGIN`) });
  expect(done.summary).toContain('terminated 1 session(s)');
  await expect(attacker.query('SELECT 1')).rejects.toThrow();
  expect(await sessionsOf(r.role)).toBe(0);
  expect(await accepted(r.role, r.password)).toBe(false);
  expect(await roleCanLogin(r.role)).toBe(false);

  const again = await h.provider.contain(cred, `${r.role}@main`, ctx);
  expect(again).toMatchObject({ changed: false, summary: expect.stringContaining('already NOLOGIN') });
  expect((await h.provider.identify(cred)).status).toBe('inactive');
  // Reversible, as the summary says.
  await superuser((c) => c.query(`ALTER ROLE ${ident(r.role)} LOGIN`));
  expect(await accepted(r.role, r.password)).toBe(true);
});

test('contain (password): the leaked password stops working, the role keeps LOGIN, its sessions end', async () => {
  const r = await makeRole('pwcontain');
  const h = harness({ roles: { [r.role]: { contain: 'password' } } });
  const cred = await h.leak(r.credential);
  const session = await connectAs(r.role, r.password);
  const done = await h.provider.contain(cred, `${r.role}@main`, incidentContext());
  expect(done).toMatchObject({ changed: true, summary: expect.stringContaining('with one nobody holds') });
  await expect(session.query('SELECT 1')).rejects.toThrow();
  expect(await accepted(r.role, r.password)).toBe(false);
  expect(await roleCanLogin(r.role)).toBe(true);
  expect((await h.provider.contain(cred, `${r.role}@main`, incidentContext())).changed).toBe(false);
});

test('same-role rotation after containment: one new password however often regenerate runs, also when the attempt died after changing the server', async () => {
  const h = harness();
  const r = await makeRole('samerole');
  const cred = await h.leak(r.credential);
  const ctx = incidentContext();
  const owner = `${r.role}@main`;
  await h.provider.contain(cred, owner, ctx);

  // An attempt that set the password on the server and died before it could record that it had.
  const dying: SecretVault = {
    get: (k) => h.vault.get(k),
    delete: (k) => h.vault.delete(k),
    put: async (k, m) => {
      if (m.pgAppliedAt) throw new Error('worker lost');
      return h.vault.put(k, m);
    },
  };
  const { postgresModule } = await import('../../providers/postgres');
  const { PostgresConfigSchema } = await import('../../providers/postgres/config');
  const cfg = PostgresConfigSchema.parse({ clusters: { main: { host: '127.0.0.1', port: r.credential.port, aliases: ['db.internal'], admin: { user: 'leakstop_admin', passwordEnv: 'LEAKSTOP_TEST_PG_ADMIN_PASSWORD' } } } });
  const crashed = postgresModule.create({ vault: dying, env: process.env, settings: {}, config: cfg }).credential as PostgresProvider;
  await expect(crashed.regenerate(cred, owner, ctx)).rejects.toThrow('worker lost');

  const first = await h.provider.regenerate(cred, owner, ctx);
  const second = await h.provider.regenerate(cred, owner, ctx);
  expect(second).toEqual(first);
  expect(first.id).toMatch(new RegExp(`^${r.role}@db\\.internal:\\d+#[0-9a-f]{16}$`));
  const m = (await h.vault.get(first.handle))!;
  expect(m).toMatchObject({ pgUser: r.role, pgHost: 'db.internal', pgDatabase: 'postgres', pgAppliedAt: expect.any(String) });
  expect(m.pgPassword).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(await accepted(r.role, m.pgPassword!)).toBe(true);
  expect(await accepted(r.role, r.password)).toBe(false);
  // The new password can do what the old one could: the group's grants are the role's.
  const app = await connectAs(r.role, m.pgPassword!);
  await app.query(`INSERT INTO public.${ident(r.table)} (note) VALUES ('after rotation')`);
  await app.end();

  const v = await h.provider.verify(cred, owner, first);
  expect(v).toMatchObject({ newWorks: true, oldDisabled: true, newIdentity: owner });
  const revoked = await h.provider.revoke(cred, owner, ctx);
  expect(revoked.summary).toContain('was replaced at');
  expect(await accepted(r.role, m.pgPassword!)).toBe(true);
});

test('same-role rotation first (contain after rotation): only the sessions opened with the leaked password are ended', async () => {
  const h = harness();
  const r = await makeRole('afterrot');
  const cred = await h.leak(r.credential);
  const ctx = incidentContext({ contain: 'after-rotation' });
  const owner = `${r.role}@main`;
  const before = await connectAs(r.role, r.password, 'old-deploy');
  const fresh = await h.provider.regenerate(cred, owner, ctx);
  const password = (await h.vault.get(fresh.handle))!.pgPassword!;
  const after = await connectAs(r.role, password, 'new-deploy');
  const done = await h.provider.contain(cred, owner, ctx);
  expect(done).toMatchObject({ changed: true, summary: expect.stringContaining('terminated 1 session(s) opened before') });
  await expect(before.query('SELECT 1')).rejects.toThrow();
  await expect(after.query('SELECT 1')).resolves.toBeDefined();
  expect(await roleCanLogin(r.role)).toBe(true);
  await after.end();
});

test('two-role swap: the partner is made with the same memberships, verified to reach what the leaked role reached, the leaked role locked and its password cleared', async () => {
  const r = await makeRole('swap');
  const partner = `${r.role}_b`;
  const h = harness({ roles: { [r.role]: { regenerate: 'swap', swapWith: partner } } });
  const cred = await h.leak(r.credential);
  const ctx = incidentContext({ contain: 'after-rotation' });
  const owner = `${r.role}@main`;
  const fresh = await h.provider.regenerate(cred, owner, ctx);
  expect(await h.provider.regenerate(cred, owner, ctx)).toEqual(fresh);
  const m = (await h.vault.get(fresh.handle))!;
  expect(m.pgUser).toBe(partner);
  expect(await accepted(r.role, r.password)).toBe(true); // zero downtime: the leaked role still works until contained
  const app = await connectAs(partner, m.pgPassword!);
  await app.query(`INSERT INTO public.${ident(r.table)} (note) VALUES ('as the partner')`);
  await app.end();

  expect((await h.provider.contain(cred, owner, ctx)).summary).toContain(`set role ${r.role} NOLOGIN`);
  expect(await h.provider.verify(cred, owner, fresh)).toMatchObject({ newWorks: true, oldDisabled: true, newIdentity: `${partner}@main` });
  const revoked = await h.provider.revoke(cred, owner, ctx);
  expect(revoked).toMatchObject({ changed: true, summary: expect.stringContaining('cleared its password') });
  expect((await h.provider.revoke(cred, owner, ctx)).changed).toBe(false);
  const hasPassword = await superuser(async (c) => (await c.query('SELECT rolpassword IS NOT NULL AS p FROM pg_authid WHERE rolname = $1', [r.role])).rows[0].p);
  expect(hasPassword).toBe(false);
  expect(await roleCanLogin(r.role)).toBe(false);
});

test('a swap partner that cannot do what the leaked role could is refused by verify, naming what it lacks', async () => {
  const r = await makeRole('lacking', { directGrant: true });
  const partner = `${r.role}_b`;
  const h = harness({ roles: { [r.role]: { regenerate: 'swap', swapWith: partner } } });
  const cred = await h.leak(r.credential);
  const fresh = await h.provider.regenerate(cred, `${r.role}@main`, incidentContext());
  const err = await h.provider.verify(cred, `${r.role}@main`, fresh).catch((e) => e);
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toContain(`DELETE on public.${r.table}`);
});

test('a role name that needs quoting is handled as an identifier, never as SQL', async () => {
  const h = harness();
  const r = await makeRole('quoted');
  const odd = `${r.role}.v2$-x`;
  await superuser((c) => c.query(`CREATE ROLE ${ident(odd)} LOGIN PASSWORD '${r.password}'`));
  const cred = await h.leak({ ...r.credential, user: odd });
  expect((await h.provider.contain(cred, `${odd}@main`, incidentContext())).changed).toBe(true);
  expect(await roleCanLogin(odd)).toBe(false);
  expect(await roleCanLogin(r.role)).toBe(true);
});

test('a credential for a server the inventory does not know is not acted on: the error names what to add', async () => {
  const h = harness();
  const r = await makeRole('unknown');
  const cred = await h.leak({ ...r.credential, host: 'elsewhere.example' });
  const err = await h.provider.identify(cred).catch((e) => e);
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toMatch(/elsewhere\.example:\d+: add it under providers\.postgres\.clusters/);
  expect(await accepted(r.role, r.password)).toBe(true);
});
