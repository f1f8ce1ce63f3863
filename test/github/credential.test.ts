import { PermanentError } from '../../providers/types';
import { GITHUB_TOKEN_FIELD, GitHubTokenProvider } from '../../providers/github/credential';
import { RevocationQueue } from '../../providers/github/revocation-queue';
import { incident, MemoryVault } from './harness';
import { FakeGitHub } from './server';
import { classicToken, fineGrainedToken } from './tokens';


describe('GitHubTokenProvider against a GitHub REST server', () => {
  let gh: FakeGitHub;
  let vault: MemoryVault;
  let provider: GitHubTokenProvider;

  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    vault = new MemoryVault();
    provider = new GitHubTokenProvider({ baseUrl: gh.url, webUrl: 'https://github.example', revocations: new RevocationQueue({ baseUrl: gh.url }) }, vault);
  });
  afterEach(() => gh.stop());

  /** A token GitHub knows, put in the vault the way the trigger hands it over. */
  async function leak(token: string, o: { login?: string; kind?: Parameters<FakeGitHub['addToken']>[1]['kind']; scopes?: string[] } = {}) {
    gh.addToken(token, { login: o.login ?? 'octocat', kind: o.kind ?? 'classic-pat', scopes: o.scopes ?? ['repo', 'workflow'] });
    const handle = `leaked/${token.slice(-6)}`;
    await vault.put(handle, { [GITHUB_TOKEN_FIELD]: token });
    return { id: `fp-${token.slice(-6)}`, secretHandle: handle };
  }

  const userStatus = async (token: string) =>
    (await fetch(`${gh.url}/user`, { headers: { authorization: `token ${token}` } })).status;

  test('identify and describe a live classic PAT: owner and scopes from GET /user', async () => {
    const cred = await leak(classicToken(), { scopes: ['repo', 'workflow'] });
    await expect(provider.identify(cred)).resolves.toMatchObject({ owner: 'octocat', status: 'active', lastUsed: { unknown: true } });
    const radius = await provider.describe(cred, 'octocat');
    expect(radius).toMatchObject({ owner: 'octocat', facts: { scopes: ['repo', 'workflow'], recentActivity: { unknown: true } } });
    expect(gh.count('GET', '/user')).toBe(2);
  });

  test('a token GitHub already rejects is inactive, not an error', async () => {
    const token = classicToken();
    const cred = await leak(token);
    gh.state.kill(token);
    await expect(provider.identify(cred)).resolves.toMatchObject({ owner: 'unknown', status: 'inactive' });
  });

  test('contain revokes once through POST /credentials/revoke, unauthenticated; repeats change nothing', async () => {
    const token = classicToken();
    const cred = await leak(token);
    await provider.identify(cred);
    const ctx = incident();

    const first = await provider.contain(cred, 'octocat', ctx);
    expect(first.changed).toBe(true);
    expect(first.summary).toMatch(/cannot be undone/);
    expect(first.summary).not.toContain(token);
    expect(await userStatus(token)).toBe(401);

    await expect(provider.contain(cred, 'octocat', ctx)).resolves.toMatchObject({ changed: false });
    await expect(provider.revoke(cred, 'octocat', ctx)).resolves.toMatchObject({ changed: false, summary: expect.stringMatching(/already revoked/) });
    expect(gh.count('POST', '/credentials/revoke')).toBe(1);
    expect(gh.requests.filter((r) => r.route === '/credentials/revoke').every((r) => !r.authenticated && r.status === 202)).toBe(true);
  });

  test('revoke on its own revokes and confirms GitHub rejects the token', async () => {
    const token = fineGrainedToken();
    const cred = await leak(token, { kind: 'fine-grained-pat' });
    await expect(provider.revoke(cred, 'octocat', incident())).resolves.toMatchObject({ changed: true });
    expect(gh.count('POST', '/credentials/revoke')).toBe(1);
    expect(await userStatus(token)).toBe(401);
  });

  test('an accepted revocation that takes effect late is waited for', async () => {
    gh.state.revocationDelayMs = 400;
    const token = classicToken();
    const cred = await leak(token);
    const started = Date.now();
    await expect(provider.contain(cred, 'octocat', incident())).resolves.toMatchObject({ changed: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await userStatus(token)).toBe(401);
  });

  test('an installation token is revoked with DELETE /installation/token, authenticated as itself', async () => {
    const token = classicToken('installation');
    const cred = await leak(token, { kind: 'installation', login: 'deploy-bot[bot]' });
    await expect(provider.identify(cred)).resolves.toMatchObject({ owner: 'github-app-installation', status: 'active' });
    await expect(provider.contain(cred, 'github-app-installation', incident())).resolves.toMatchObject({ changed: true });
    await expect(provider.contain(cred, 'github-app-installation', incident())).resolves.toMatchObject({ changed: false });
    expect(gh.count('DELETE', '/installation/token')).toBe(1);
    expect(gh.count('POST', '/credentials/revoke')).toBe(0);
    await expect(provider.regenerate(cred, 'github-app-installation', incident())).rejects.toThrow(PermanentError);
  });

  test('an OAuth token cannot be revoked by a third party: a person is asked', async () => {
    const cred = await leak(classicToken('oauth'), { kind: 'oauth' });
    const err = await provider.contain(cred, 'octocat', incident()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ reason: 'denied', message: expect.stringMatching(/Settings → Applications/) });
    expect(gh.count('POST', '/credentials/revoke')).toBe(0);
  });

  test('regenerate is a manual step naming the kind, owner and the scopes recorded before revocation', async () => {
    const token = classicToken();
    const cred = await leak(token, { scopes: ['repo', 'read:org'] });
    const ctx = incident();
    await provider.identify(cred);
    await provider.contain(cred, 'octocat', ctx); // GitHub no longer reports the scopes after this
    const step = await provider.regenerate(cred, 'octocat', ctx);
    expect(step).toEqual({ manual: true, instructions: expect.any(String) });
    const text = (step as { instructions: string }).instructions;
    expect(text).toContain('personal access token (classic)');
    expect(text).toContain('https://github.example/settings/tokens/new');
    expect(text).toContain('repo, read:org');
    expect(text).toContain('GitHub user octocat');
    expect(text).toContain(`leakstop incident done ${ctx.incidentId} --credential-file FILE`);
    expect(text).not.toContain(token);

    const fine = await leak(fineGrainedToken(), { kind: 'fine-grained-pat' });
    const fineStep = (await provider.regenerate(fine, 'octocat', ctx)) as { instructions: string };
    expect(fineStep.instructions).toContain('fine-grained personal access token');
    expect(fineStep.instructions).toContain('/settings/personal-access-tokens/new');
  });

  test('verify: the new token works as the same owner and the leaked one is rejected', async () => {
    const old = classicToken();
    const cred = await leak(old);
    await provider.contain(cred, 'octocat', incident());

    const fresh = classicToken();
    gh.addToken(fresh, { login: 'octocat', kind: 'classic-pat', scopes: ['repo'] });
    await vault.put('new/1', { [GITHUB_TOKEN_FIELD]: fresh });
    const v = await provider.verify(cred, 'octocat', { id: 'fp-new', handle: 'new/1', removed: [] });
    expect(v).toMatchObject({ newWorks: true, newIdentity: 'octocat', oldDisabled: true });
    expect(v.detail).not.toContain(fresh);

    const stranger = classicToken();
    gh.addToken(stranger, { login: 'mallory', kind: 'classic-pat' });
    await vault.put('new/2', { [GITHUB_TOKEN_FIELD]: stranger });
    await expect(provider.verify(cred, 'octocat', { id: 'fp-2', handle: 'new/2', removed: [] })).rejects.toMatchObject({ reason: 'invalid' });

    await vault.put('new/3', { [GITHUB_TOKEN_FIELD]: classicToken() }); // never issued by GitHub
    await expect(provider.verify(cred, 'octocat', { id: 'fp-3', handle: 'new/3', removed: [] })).rejects.toMatchObject({ reason: 'failed' });

    await vault.put('new/4', { [GITHUB_TOKEN_FIELD]: old });
    await expect(provider.verify(cred, 'octocat', { id: 'fp-4', handle: 'new/4', removed: [] })).rejects.toMatchObject({ reason: 'invalid' });
  });

  test('verify reports a leaked token that still works', async () => {
    const cred = await leak(classicToken());
    const fresh = classicToken();
    gh.addToken(fresh, { login: 'octocat', kind: 'classic-pat' });
    await vault.put('new/1', { [GITHUB_TOKEN_FIELD]: fresh });
    await expect(provider.verify(cred, 'octocat', { id: 'fp', handle: 'new/1', removed: [] })).resolves.toMatchObject({ newWorks: true, oldDisabled: false });
  });
});
