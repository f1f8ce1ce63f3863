import path from 'node:path';
import { PolicySchema } from '../domain/schemas';
import { AwsIamProvider } from '../providers/aws-iam/provider';
import { LocalFileVault } from '../providers/local-vault/vault';
import { PermanentError, type SecretMaterial } from '../providers/types';
import { awsConfig, leakedKey, scratchDir } from './support/env';
import { callerArn, keysOf } from './support/fixtures';

// The AWS IAM provider on its own, against moto: the retry and crash cases the runbook relies on.

const ctx = (incidentId: string) => ({ incidentId, startedAt: new Date().toISOString(), policy: PolicySchema.parse({}) });

function provider(vault = new LocalFileVault(path.join(scratchDir('vault'), 'v'))) {
  return { p: new AwsIamProvider(awsConfig(), vault), vault };
}

test('regenerate retried after success returns the same key instead of a second one', async () => {
  const leak = await leakedKey('regen');
  const { p } = provider();
  const first = await p.regenerate({ id: leak.keyId }, leak.user, ctx('inc-regen'));
  const again = await p.regenerate({ id: leak.keyId }, leak.user, ctx('inc-regen'));
  expect(again.id).toBe(first.id);
  expect(await keysOf(leak.user)).toHaveLength(2);
});

test('a crash between CreateAccessKey and keeping its secret: the retry deletes the orphan and ends with one new key', async () => {
  const leak = await leakedKey('orphan');
  const { p: sound, vault } = provider();
  // The first attempt dies right after AWS created the key (its secret is lost with the process).
  const crashing = new AwsIamProvider(awsConfig(), {
    put: async (_h: string, _m: SecretMaterial) => {
      throw new Error('worker died');
    },
    get: (h) => vault.get(h),
    delete: (h) => vault.delete(h),
  });
  await expect(crashing.regenerate({ id: leak.keyId }, leak.user, ctx('inc-orphan'))).rejects.toThrow('worker died');
  const orphan = (await keysOf(leak.user)).find((k) => k.id !== leak.keyId)!;

  const fresh = await sound.regenerate({ id: leak.keyId }, leak.user, ctx('inc-orphan'));
  expect(fresh.removed).toEqual([orphan.id]);
  expect((await keysOf(leak.user)).map((k) => k.id).sort()).toEqual([leak.keyId, fresh.id].sort());
  const material = (await vault.get(fresh.handle))!;
  expect(await callerArn(material.accessKeyId!, material.secretAccessKey!)).toMatch(new RegExp(`:user/${leak.user}$`));
});

test('contain and revoke are idempotent: a second call changes nothing and says so', async () => {
  const leak = await leakedKey('idem');
  const { p } = provider();
  expect((await p.contain({ id: leak.keyId }, leak.user, ctx('inc-idem'))).changed).toBe(true);
  expect(await p.contain({ id: leak.keyId }, leak.user, ctx('inc-idem'))).toEqual({ summary: expect.stringContaining('already inactive'), changed: false });
  expect((await p.revoke({ id: leak.keyId }, leak.user, ctx('inc-idem'))).changed).toBe(true);
  expect((await p.revoke({ id: leak.keyId }, leak.user, ctx('inc-idem'))).changed).toBe(false);
  expect(await keysOf(leak.user)).toEqual([]);
});

test('contain right after identify deactivates without listing again; a key gone meanwhile is a permanent not-found', async () => {
  const leak = await leakedKey('known');
  const { p } = provider();
  const known = await p.identify({ id: leak.keyId });
  expect(await p.contain({ id: leak.keyId }, leak.user, ctx('inc-known'), known)).toMatchObject({ changed: true });
  expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Inactive' }]);
  await p.revoke({ id: leak.keyId }, leak.user, ctx('inc-known'));
  // Identification said active, but the key was deleted since: the contain step (which lists) takes over.
  await expect(p.contain({ id: leak.keyId }, leak.user, ctx('inc-known'), known)).rejects.toMatchObject({ reason: 'not-found' });
  expect(await p.contain({ id: leak.keyId }, leak.user, ctx('inc-known'))).toMatchObject({ summary: expect.stringContaining('already gone'), changed: false });
});

test('identify finds the owner; an unknown key is a permanent not-found, named redacted', async () => {
  const leak = await leakedKey('ident');
  const { p } = provider();
  expect(await p.identify({ id: leak.keyId })).toMatchObject({ owner: leak.user, status: 'active', account: '123456789012' });
  const err = await p.identify({ id: "AKIAZZZZZZZZZZZZZZZZ" }).catch((e) => e);
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.reason).toBe('not-found');
  expect(err.message).not.toContain('AKIAZZZZZZZZZZZZZZZZ');
});

test('describe reports what it could not learn as unknown, with the reason, instead of failing', async () => {
  const leak = await leakedKey('desc');
  const { p } = provider();
  const b = await p.describe({ id: leak.keyId }, leak.user);
  expect(b.facts.policies).toEqual({ attached: [], inline: [], groups: [] });
  expect(b.facts.recentActivity).toEqual({ unknown: true, reason: expect.stringMatching(/^CloudTrail not available/) });
});
