import { GitHubActionsSecretStore } from '../../providers/github/actions-secrets';
import { GitHubActionsVariableStore } from '../../providers/github/actions-variables';
import type { GitHubStoreConsumer, GitHubStoreSpec } from '../../providers/github/specs';
import { PermanentError } from '../../providers/types';
import { incident } from './harness';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';


const consumer = <S extends GitHubStoreSpec>(storeSpec: S, key: string, field: 'json' | 'accessKeyId' | 'secretAccessKey' = 'json'): GitHubStoreConsumer<S> => ({
  name: 'api',
  store: 'github',
  key,
  field,
  storeSpec,
});

describe('GitHub Actions secrets and variables', () => {
  let gh: FakeGitHub;
  let auth: string;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'admin:org'] });
  });
  afterEach(() => gh.stop());

  test('a repository secret is sealed to the repository key and GitHub can open it', async () => {
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    const ctx = incident();
    const c = consumer({ kind: 'github-actions-secret', repository: 'acme/api' }, 'AWS_CREDENTIALS');
    const first = await store.write(c, '{"AWS_ACCESS_KEY_ID":"new"}', ctx);
    expect(first).toMatchObject({ consumer: 'api', store: 'github', key: 'acme/api: AWS_CREDENTIALS', changed: true });
    expect(first.version).toMatch(new RegExp(`^${gh.state.keypair('repo:acme/api').keyId}:[0-9a-f]{12}$`));
    expect(gh.decryptSecret({ repository: 'acme/api' }, 'AWS_CREDENTIALS')).toBe('{"AWS_ACCESS_KEY_ID":"new"}');
    expect(gh.requests.find((r) => r.method === 'PUT')?.status).toBe(201);

    // A retried activity writes the same value again: harmless, same version, reported unchanged.
    const again = await store.write(c, '{"AWS_ACCESS_KEY_ID":"new"}', ctx);
    expect(again).toEqual({ ...first, changed: false });
    expect(gh.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([201, 204]);
    await expect(store.read()).resolves.toBeUndefined();
  });

  test('a secret last written before the incident is replaced and reported changed', async () => {
    const before = '2020-01-01T00:00:00Z';
    gh.state.secretsOf('repo:acme/api').set('TOKEN', { encryptedValue: 'old', keyId: 'old-key', createdAt: before, updatedAt: before });
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    const c = consumer({ kind: 'github-actions-secret', repository: 'acme/api' }, 'TOKEN');
    await expect(store.write(c, 'new', incident())).resolves.toMatchObject({ changed: true });
    expect(gh.decryptSecret({ repository: 'acme/api' }, 'TOKEN')).toBe('new');
    expect(gh.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([204]);
  });

  test('environment and organization secrets', async () => {
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    const ctx = incident();
    await store.write(consumer({ kind: 'github-actions-secret', repository: 'acme/api', environment: 'production' }, 'DEPLOY_KEY'), 'env-value', ctx);
    await store.write(
      consumer({ kind: 'github-actions-secret', organization: 'acme', visibility: 'selected', selectedRepositoryIds: [7, 9] }, 'SHARED_KEY'),
      'org-value',
      ctx,
    );
    expect(gh.decryptSecret({ repository: 'acme/api', environment: 'production' }, 'DEPLOY_KEY')).toBe('env-value');
    expect(gh.decryptSecret({ repository: 'acme/api' }, 'DEPLOY_KEY')).toBeUndefined();
    expect(gh.decryptSecret({ organization: 'acme' }, 'SHARED_KEY')).toBe('org-value');
    expect(gh.state.secrets.get('org:acme')?.get('SHARED_KEY')).toMatchObject({ visibility: 'selected', selectedRepositoryIds: [7, 9] });
  });

  test('a rate-limited write is retried by the client after retry-after', async () => {
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    gh.rateLimit({ method: 'PUT', route: '/repos/{owner}/{repo}/actions/secrets/{secret_name}', times: 1, kind: 'secondary', status: 403, retryAfter: 1 });
    await store.write(consumer({ kind: 'github-actions-secret', repository: 'acme/api' }, 'KEY'), 'v', incident());
    expect(gh.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([403, 201]);
    expect(gh.decryptSecret({ repository: 'acme/api' }, 'KEY')).toBe('v');
  });

  test('bad inventory entries and refusals are permanent and named', async () => {
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    const ctx = incident();
    await expect(store.write(consumer({ kind: 'github-actions-secret', organization: 'acme' } as GitHubStoreSpec, 'KEY'), 'v', ctx)).rejects.toMatchObject({
      reason: 'invalid',
      message: expect.stringContaining('visibility: is required for an organization secret'),
    });
    await expect(store.write(consumer({ kind: 'github-actions-secret', repository: 'acme/api' }, 'GITHUB_TOKEN'), 'v', ctx)).rejects.toThrow(PermanentError);
    const stranger = new GitHubActionsSecretStore({ baseUrl: gh.url, auth: classicToken() });
    await expect(stranger.write(consumer({ kind: 'github-actions-secret', repository: 'acme/api' }, 'KEY'), 'v', ctx)).rejects.toMatchObject({ reason: 'denied' });
  });

  test('a variable is created, then updated, and read back', async () => {
    const store = new GitHubActionsVariableStore({ baseUrl: gh.url, auth });
    const c = consumer({ kind: 'github-actions-variable', repository: 'acme/api' }, 'AWS_ACCESS_KEY_ID', 'accessKeyId');
    await expect(store.read(c)).resolves.toBeUndefined();
    await expect(store.write(c, 'AKIAOLD', incident())).resolves.toMatchObject({ changed: true, key: 'acme/api: AWS_ACCESS_KEY_ID' });
    const ctx = incident();
    await expect(store.write(c, 'AKIANEW', ctx)).resolves.toMatchObject({ changed: true });
    await expect(store.write(c, 'AKIANEW', ctx)).resolves.toMatchObject({ changed: false });
    await expect(store.read(c)).resolves.toBe('AKIANEW');
    expect([gh.count('POST', '/repos/{owner}/{repo}/actions/variables'), gh.count('PATCH', '/repos/{owner}/{repo}/actions/variables/{name}')]).toEqual([1, 1]);
  });

  test('a variable never receives secret material', async () => {
    const store = new GitHubActionsVariableStore({ baseUrl: gh.url, auth });
    const spec = { kind: 'github-actions-variable', repository: 'acme/api' } as const;
    await expect(store.write(consumer(spec, 'CREDS', 'json'), '{}', incident())).rejects.toMatchObject({ reason: 'invalid' });
    await expect(store.write(consumer(spec, 'GH', 'accessKeyId'), `token ${classicToken()}`, incident())).rejects.toMatchObject({ reason: 'invalid' });
    expect(gh.count('POST', '/repos/{owner}/{repo}/actions/variables')).toBe(0);
  });
});
