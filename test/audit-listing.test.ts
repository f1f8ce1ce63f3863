import { catalog, parseInventory } from '../providers';
import { runAudit, type AuditResult } from '../providers/audit';
import { NO_VAULT } from '../providers/discovery';
import { FakeGitHub } from './github/server';
import { classicToken, fineGrainedToken } from './github/tokens';
import { configurePassword, createToken, newAccount, registry, type Account } from './npm/harness';
import { awsConfig } from './support/env';

// The key-hygiene audit listing GitHub and npm tokens: an organization's fine-grained tokens and its
// SSO-authorized classic ones from the local GitHub API (checked against GitHub's OpenAPI description),
// an account's tokens from the run's Verdaccio. The clock is the test's: GitHub's dates are set around it.

const DAY = 86_400_000;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');

const gh = new FakeGitHub();
const APP = 'leakstop-audit[bot]';
const appToken = classicToken('installation');
const outsiderToken = classicToken();
let ids: Record<string, string> = {};
let npmAccount: Account;
let npmTokens: { token: string; key: string }[] = [];

beforeAll(async () => {
  await gh.start();
  gh.addToken(appToken, { login: APP, kind: 'installation' });
  gh.addToken(outsiderToken, { login: 'mallory', kind: 'classic-pat', scopes: ['read:org'] });
  gh.addOrg('acme', { admins: [APP], sso: true });
  const fg = (login: string, name: string, g: { grantedAt: string; expiresAt?: string; lastUsedAt?: string | null }) =>
    `fine-grained-pat:${gh.grantFineGrainedToken('acme', fineGrainedToken(), { login, name, ...g }).tokenId}`;
  const sso = (login: string, a: { authorizedAt: string; accessedAt?: string | null; expiresAt?: string }) => {
    const token = classicToken();
    gh.authorizeForSso('acme', token, { login, scopes: ['repo', 'read:org'], ...a });
    return `ghp_…${token.slice(-4)}`;
  };
  ids = {
    expiring: fg('alice', 'deploy', { grantedAt: at(-200), expiresAt: at(5), lastUsedAt: at(-2) }),
    expired: fg('bob', 'old-ci', { grantedAt: at(-400), expiresAt: at(-10), lastUsedAt: at(-11) }),
    neverUsed: fg('carol', 'spare', { grantedAt: at(-45), lastUsedAt: null }),
    aliceClassic: sso('alice', { authorizedAt: at(-10), accessedAt: at(-1), expiresAt: at(60) }),
    daveClassic: sso('dave', { authorizedAt: at(-120), accessedAt: null }),
  };
  // An SSH key is authorized for SSO too, but it is not a token: not listed.
  gh.authorizeForSso('acme', 'SHA256:erinkeyfingerprint', { login: 'erin', type: 'SSH key', authorizedAt: at(-5) });

  npmAccount = await newAccount('hygiene');
  configurePassword(npmAccount);
  npmTokens = [await createToken(npmAccount), await createToken(npmAccount, { readonly: true })];
});

afterAll(() => gh.stop()); // throws if any response broke GitHub's OpenAPI description

function inventoryFor(github: string) {
  return parseInventory(`
hygiene: { maxAge: 90d, unusedFor: 30d, expiryWarning: 14d }
providers:
  github: ${github}
  npm:
    registry: ${registry()}
    accounts:
      ${npmAccount.user}: { passwordEnv: ${npmAccount.passwordEnv} }
credentials:
  - { provider: github-token, owner: carol }
`);
}

async function audit(o: { github?: string; token?: string } = {}): Promise<AuditResult> {
  const inventory = inventoryFor(o.github ?? '{ org: acme }');
  const reg = catalog.registry({ vault: NO_VAULT, env: process.env, settings: { aws: awsConfig(), github: { baseUrl: gh.url, token: o.token ?? appToken } }, inventory });
  return runAudit({ inventory, registry: reg, catalog, now: NOW });
}

const findingsOf = (r: AuditResult, provider: string) =>
  r.findings.filter((f) => f.credential.provider === provider).map((f) => `${f.kind} ${catalog.credential(provider).display(f.credential.id)} ${f.credential.owner}: ${f.detail}`);

/** No token value, nor the part of one a registry's mask or a last-eight would show, in anything the audit returned. */
function expectNoTokenIn(r: AuditResult, tokens: string[]) {
  const everything = JSON.stringify(r);
  for (const token of tokens) {
    expect(everything).not.toContain(token);
    expect(r.markdown).not.toContain(token.slice(-8));
    expect(r.markdown).not.toContain(token.slice(0, 12));
  }
}

test("GitHub: the organization's fine-grained and SSO-authorized tokens with their owners, expiring, expired, unused and uncovered ones", async () => {
  const r = await audit();
  expect(r.problems).toEqual([]);
  const github = r.listed.filter((c) => c.provider === 'github-token');
  expect(github.map((c) => `${c.owner} ${c.id.startsWith('ghp_…') ? `ghp_…${c.id.slice(-4)}` : c.id}`).sort()).toEqual(
    [`alice ${ids.expiring}`, `bob ${ids.expired}`, `carol ${ids.neverUsed}`, `alice ${ids.aliceClassic}`, `dave ${ids.daveClassic}`].sort(),
  );
  expect(github.find((c) => c.id === ids.expired)).toMatchObject({ status: 'inactive', expiresAt: at(-10), lastUsedAt: at(-11), createdAt: at(-400) });
  expect(github.find((c) => c.id === ids.neverUsed)).toMatchObject({ status: 'active', lastUsedAt: null });
  expect(github.find((c) => c.id === ids.neverUsed)!.expiresAt).toBeUndefined();

  expect(findingsOf(r, 'github-token')).toEqual([
    `expiring ${ids.expiring} alice: expires in 5 days`,
    `expiring ${ids.expired} bob: expired 10 days ago`,
    `old ${ids.expiring} alice: 200 days old (the rule is 90)`,
    `old ${ids.daveClassic} dave: 120 days old (the rule is 90)`,
    `unused ${ids.neverUsed} carol: never used in 45 days`,
    `unused ${ids.daveClassic} dave: never used in 120 days`,
    `two-keys ${ids.expiring} alice: alice has 2 active keys: one is probably forgotten`,
    `two-keys ${ids.aliceClassic} alice: alice has 2 active keys: one is probably forgotten`,
    `not-in-inventory ${ids.expiring} alice: no inventory entry: a leak would find no consumers to update`,
    `not-in-inventory ${ids.aliceClassic} alice: no inventory entry: a leak would find no consumers to update`,
    `not-in-inventory ${ids.expired} bob: no inventory entry: a leak would find no consumers to update`,
    `not-in-inventory ${ids.daveClassic} dave: no inventory entry: a leak would find no consumers to update`,
  ]);
  expect(r.markdown).toContain(`| ${ids.expiring} | alice | active | expires in 5 days |`);
  expect(r.markdown).toContain(`| ${ids.expired} | bob | inactive | expired 10 days ago |`);
  expect(r.markdown).toContain(`| ${ids.neverUsed} | carol | active | never used in 45 days |`);
  // Markdown escapes the prefix's underscore.
  expect(r.markdown).toContain(`| ${ids.daveClassic.replace('_', '\\_')} | dave | active | never used in 120 days |`);
  expect(r.markdown).not.toContain('erin');
  expect(r.markdown).not.toMatch(/## Not listed/);
  expectNoTokenIn(r, [...gh.knownTokens(), ...npmTokens.map((t) => t.token)]);
});

test("npm: the configured account's tokens, from the registry's token list", async () => {
  const r = await audit();
  const npm = r.listed.filter((c) => c.provider === 'npm-token');
  expect(npm.map((c) => c.id).sort()).toEqual(npmTokens.map((t) => `npm-key:${t.key}`).sort());
  for (const c of npm) {
    expect(c).toMatchObject({ owner: npmAccount.user, status: 'active', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    // The token list says nothing of last use or expiry: unknown, not "never".
    expect(c.lastUsedAt).toBeUndefined();
    expect(c.expiresAt).toBeUndefined();
  }
  const shown = npmTokens.map((t) => `npm key ${t.key.slice(0, 8)}…`);
  expect(findingsOf(r, 'npm-token').sort()).toEqual(
    [
      ...shown.map((s) => `two-keys ${s} ${npmAccount.user}: ${npmAccount.user} has 2 active keys: one is probably forgotten`),
      ...shown.map((s) => `not-in-inventory ${s} ${npmAccount.user}: no inventory entry: a leak would find no consumers to update`),
    ].sort(),
  );
  for (const s of shown) expect(r.markdown).toContain(`| ${s} | ${npmAccount.user} | active |`);
  expectNoTokenIn(r, [...npmTokens.map((t) => t.token), npmAccount.password]);
});

test('a token GitHub refuses to list for (403) is named under "Not listed", not reported as a clean organization', async () => {
  const before = gh.count('GET', '/orgs/{org}/personal-access-tokens');
  const r = await audit({ token: outsiderToken });
  expect(gh.count('GET', '/orgs/{org}/personal-access-tokens')).toBe(before + 1);
  expect(r.listed.filter((c) => c.provider === 'github-token')).toEqual([]);
  expect(r.problems).toEqual([{ provider: 'github-token', problem: expect.stringMatching(/^GitHub refused to list the fine-grained personal access tokens of organization acme \(HTTP 403\)/) }]);
  expect(r.markdown).toMatch(/\n## Not listed\n\n- github-token: GitHub refused to list the fine-grained personal access tokens of organization acme \(HTTP 403\): .*Resource not accessible by personal access token/);
  expect(r.markdown).not.toContain('fine-grained-pat:');
  // npm is listed all the same.
  expect(r.listed.filter((c) => c.provider === 'npm-token')).toHaveLength(2);
  expectNoTokenIn(r, gh.knownTokens());
});

test('an organization without SAML SSO (404) is "Not listed" too, and says why', async () => {
  gh.addOrg('nosso', { admins: [APP] });
  const r = await audit({ github: '{ org: nosso, tokenLists: [sso] }' });
  expect(r.problems).toEqual([
    { provider: 'github-token', problem: expect.stringContaining('GitHub refused to list the SAML SSO token authorizations of organization nosso (HTTP 404): no such organization, or it does not use SAML single sign-on') },
  ]);
});

test("the lists are read page by page; with an owner only that owner's; without an org there is nothing to list", async () => {
  gh.addOrg('big', { admins: [APP] });
  for (let i = 0; i < 130; i++) gh.grantFineGrainedToken('big', fineGrainedToken(), { login: `dev${i % 7}`, name: `t${i}`, grantedAt: at(-i) });
  const inventory = inventoryFor('{ org: big, tokenLists: [fine-grained] }');
  const provider = catalog.registry({ vault: NO_VAULT, env: process.env, settings: { github: { baseUrl: gh.url, token: appToken } }, inventory }).credential('github-token');
  const before = gh.count('GET', '/orgs/{org}/personal-access-tokens');
  const all = await provider.list!();
  expect(gh.count('GET', '/orgs/{org}/personal-access-tokens')).toBe(before + 2);
  expect(new Set(all.map((c) => c.id)).size).toBe(130);
  const dev3 = await provider.list!('dev3');
  expect(dev3.length).toBe(all.filter((c) => c.owner === 'dev3').length);
  expect(dev3.length).toBeGreaterThan(0);
  expect(dev3.every((c) => c.owner === 'dev3')).toBe(true);

  const bare = catalog.registry({ vault: NO_VAULT, env: {}, settings: { github: { baseUrl: gh.url, token: appToken } }, inventory: parseInventory('{}') });
  expect(bare.credential('github-token').list).toBeUndefined();
  expect(bare.credential('npm-token').list).toBeUndefined();
  expect(() => parseInventory('providers: { github: { org: "-bad-" } }')).toThrow(/providers\.github\.org: must be a GitHub organization name/);
});
