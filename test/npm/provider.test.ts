import { PermanentError, type ManualStep } from '../../providers/types';
import type { ActionResult, NewCredential } from '../../domain/results';
import { configurePassword, createToken, incidentContext, newAccount, NpmHarness, registry, thrown, tokensOf, whoami } from './harness';

// The npm token provider's verbs against a real npm registry (Verdaccio, one for the run): what the
// registry says of a token, revocation through its token API, a new token with the same restrictions
// made once however often regenerate runs, and a person's replacement checked with whoami.

const h = new NpmHarness();
const isManual = (r: NewCredential | ActionResult | ManualStep): r is ManualStep => 'manual' in r;
/** What contain or revoke did itself (a manual step here fails the test). */
function acted(r: ActionResult | ManualStep): ActionResult {
  if (isManual(r)) throw new Error(`expected the provider to act, got a manual step: ${r.instructions}`);
  return r;
}

test('identify names the account and records the token list entry; describe reports its restrictions', async () => {
  const a = await newAccount('identify');
  const leaked = await createToken(a, { readonly: true, cidr: ['127.0.0.1/32'] });
  await createToken(a); // another token of the account
  const p = h.provider();
  const cred = await h.leak(leaked.token);
  const id = await p.identify(cred);
  expect(id).toMatchObject({ owner: a.user, status: 'active' });
  const br = await p.describe(cred, a.user);
  expect(br.facts).toMatchObject({ account: a.user, restrictions: { readonly: true, cidr: ['127.0.0.1/32'] }, otherTokens: 1 });
  h.expectNoSecretIn(id, br);
});

test('contain revokes the token through the token API: the registry then refuses it; a second contain changes nothing', async () => {
  const a = await newAccount('contain');
  const leaked = await createToken(a);
  const other = await createToken(a);
  const p = h.provider();
  const cred = await h.leak(leaked.token);
  await p.identify(cred);
  expect((await whoami(leaked.token)).username).toBe(a.user);
  const first = acted(await p.contain(cred, a.user, incidentContext()));
  expect(first.changed).toBe(true);
  expect((await whoami(leaked.token)).status).toBe(403);
  // Only the leaked token went: the account's other token still works.
  expect((await whoami(other.token)).username).toBe(a.user);
  expect((await tokensOf(a)).map((t) => t.key)).toEqual([other.key]);
  const again = acted(await p.contain(cred, a.user, incidentContext()));
  expect(again).toMatchObject({ changed: false });
  expect(again.summary).toContain('already refused');
  // Identification after the fact still knows whose it was.
  expect(await p.identify(cred)).toMatchObject({ owner: a.user, status: 'inactive' });
  h.expectNoSecretIn(first, again);
});

test('a read-only token may not revoke itself: without the password a person is asked to (a manual step), with it Leakstop revokes it', async () => {
  const a = await newAccount('readonly');
  const leaked = await createToken(a, { readonly: true });
  const cred = await h.leak(leaked.token);
  const without = h.provider();
  await without.identify(cred);
  const asked = await without.contain(cred, a.user, incidentContext());
  if (!isManual(asked)) throw new Error('expected a manual step');
  expect(asked.instructions).toContain('read-only');
  expect(asked.instructions).toContain(`sign in to ${registry()} as ${a.user}`);
  expect((await whoami(leaked.token)).username).toBe(a.user);

  configurePassword(a);
  const withPassword = h.provider({ accounts: [a] });
  expect(acted(await withPassword.contain(cred, a.user, incidentContext())).changed).toBe(true);
  expect((await whoami(leaked.token)).status).toBe(403);
  h.remember(a.password);
  h.expectNoSecretIn(asked);
});

test('regenerate with the account password: one new token with the same restrictions, however often it is retried', async () => {
  const a = await newAccount('regen');
  configurePassword(a);
  h.remember(a.password);
  const leaked = await createToken(a, { readonly: true, cidr: ['127.0.0.1/32'] });
  const p = h.provider({ accounts: [a] });
  const cred = await h.leak(leaked.token);
  await p.identify(cred);
  await p.contain(cred, a.user, incidentContext());
  const ctx = incidentContext();
  const attempts = await Promise.all([p.regenerate(cred, a.user, ctx), p.regenerate(cred, a.user, ctx)]);
  attempts.push(await p.regenerate(cred, a.user, ctx));
  const fresh = attempts[0]!;
  if (isManual(fresh)) throw new Error(`expected a new token, got a manual step: ${fresh.instructions}`);
  for (const r of attempts) expect(r).toEqual(fresh);
  const listed = await tokensOf(a);
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ readonly: true, cidr: ['127.0.0.1/32'] });

  const v = await p.verify(cred, a.user, fresh);
  expect(v).toMatchObject({ newWorks: true, newIdentity: a.user, oldDisabled: true });
  const token = (await h.vault.get(fresh.handle))!.secret!;
  h.remember(token);
  expect((await whoami(token)).username).toBe(a.user);
  h.expectNoSecretIn(attempts, v);
});

test('a worker that died between the registry making a token and the vault write: the retry revokes that orphan and makes one new token', async () => {
  const a = await newAccount('orphan');
  configurePassword(a);
  h.remember(a.password);
  const leaked = await createToken(a);
  const unrelated = await createToken(a); // made before the incident: never touched
  const p = h.provider({ accounts: [a] });
  const cred = await h.leak(leaked.token);
  await p.identify(cred);
  // What the interrupted attempt left: its intent, recorded before it asked the registry, and the token it got, which nobody holds.
  const keysBefore = (await tokensOf(a)).map((t) => t.key).join(',');
  await h.vault.put(`${cred.secretHandle}:npm-new`, { npmCreateStartedAt: new Date().toISOString(), npmKeysBefore: keysBefore });
  const orphan = await createToken(a);
  h.remember(orphan.token);

  const fresh = await p.regenerate(cred, a.user, incidentContext());
  if (isManual(fresh)) throw new Error(`expected a new token, got a manual step: ${fresh.instructions}`);
  expect(fresh.removed).toEqual([orphan.key]);
  expect((await whoami(orphan.token)).status).toBe(403);
  expect((await whoami(unrelated.token)).username).toBe(a.user);
  const keys = (await tokensOf(a)).map((t) => t.key).sort();
  const newKey = (await h.vault.get(fresh.handle))!.npmTokenKey!;
  expect(keys).toEqual([leaked.key, unrelated.key, newKey].sort());
});

test('without a password regenerate is a manual step; verify then checks the person\'s replacement with whoami and refuses a wrong one', async () => {
  const a = await newAccount('manual');
  const b = await newAccount('someone-else');
  const leaked = await createToken(a, { readonly: true });
  const p = h.provider();
  const cred = await h.leak(leaked.token);
  await p.identify(cred);
  const ctx = incidentContext();
  const step = await p.regenerate(cred, a.user, ctx);
  if (!isManual(step)) throw new Error('expected a manual step');
  expect(step.instructions).toContain(`npm user ${a.user}`);
  expect(step.instructions).toContain('read-only');
  expect(step.instructions).toContain(`leakstop incident done ${ctx.incidentId}`);

  const theirs = await thrown(async () => p.verify(cred, a.user, await h.replacement((await createToken(b)).token)));
  expect(theirs).toBeInstanceOf(PermanentError);
  expect(theirs.message).toContain(`speaks for ${b.user}`);
  const same = await thrown(async () => p.verify(cred, a.user, await h.replacement(leaked.token)));
  expect((same as PermanentError).reason).toBe('invalid');

  const good = await h.replacement((await createToken(a, { readonly: true })).token);
  // Not contained yet: verify says so rather than pretending.
  expect(await p.verify(cred, a.user, good)).toMatchObject({ newWorks: true, newIdentity: a.user, oldDisabled: false });
  // Read-only and no password: revoking is a person's step, as tested above.
  h.expectNoSecretIn(step, theirs, same);
});

test('forget removes what the provider kept beside the leaked token', async () => {
  const a = await newAccount('forget');
  const leaked = await createToken(a);
  const p = h.provider();
  const cred = await h.leak(leaked.token);
  await p.identify(cred);
  expect(await h.vault.get(`${cred.secretHandle}:npm-facts`)).toMatchObject({ npmUser: a.user });
  await p.forget!(cred);
  expect(await h.vault.get(`${cred.secretHandle}:npm-facts`)).toBeUndefined();
});
