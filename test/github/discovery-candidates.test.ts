import { catalog, parseInventory } from '../../providers';
import { discover, draftInventory, NO_VAULT, unlistedPlaces } from '../../providers/discovery';
import { GitHubActionsSecretStore } from '../../providers/github/actions-secrets';
import { incident } from './harness';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';

// GitHub never shows an Actions secret's value, so discovery cannot match one by id or fingerprint. It
// lists the secrets' names (every page, through the real octokit against the local API, whose answers are
// checked against GitHub's OpenAPI description) and reports those named like a kind's settings as
// unverified candidates: in the incident's places, the post-mortem and the draft inventory, never written.

describe('GitHub Actions secrets as candidates by name', () => {
  let gh: FakeGitHub;
  let auth: string;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'admin:org'] });
  });
  afterEach(() => gh.stop());

  const inventory = () =>
    parseInventory(`
stores: { gh: { kind: github-actions-secret, repository: acme/api } }
discovery: { sources: { gh: {} }, discovered: ask }
`);
  const registry = (inv: ReturnType<typeof inventory>) => catalog.registry({ vault: NO_VAULT, env: {}, settings: { github: { baseUrl: gh.url, token: auth } }, inventory: inv });

  async function seed() {
    const store = new GitHubActionsSecretStore({ baseUrl: gh.url, auth });
    const spec = { kind: 'github-actions-secret' as const, repository: 'acme/api' };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'NPM_TOKEN', 'DEPLOY_HOOK_URL']) {
      await store.write({ name: 'seed', store: 'gh', key: name, field: 'json', storeSpec: spec }, 'sealed value', incident());
    }
    // Enough others to need a second page of 100.
    const now = new Date().toISOString();
    for (let i = 0; i < 120; i++) gh.state.secretsOf('repo:acme/api').set(`SETTING_${String(i).padStart(3, '0')}`, { encryptedValue: 'x', keyId: 'k', createdAt: now, updatedAt: now });
    return { store, spec };
  }

  test('names are listed across pages, filtered by prefix; values are never asked for', async () => {
    const { store, spec } = await seed();
    const before = gh.requests.length;
    const all = await store.names(spec, undefined, AbortSignal.timeout(10_000));
    expect(all).toHaveLength(124);
    expect(await store.names(spec, 'aws_', AbortSignal.timeout(10_000))).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    const mine = gh.requests.slice(before);
    const lists = mine.filter((r) => r.method === 'GET' && /\/actions\/secrets(\?|$)/.test(r.path));
    expect(lists.length).toBeGreaterThanOrEqual(2); // paged
    expect(mine.filter((r) => !lists.includes(r))).toEqual([]);
  });

  test('discovery reports names like a kind\'s settings as unverified candidates of that kind, writes none of them, and the draft lists them apart', async () => {
    await seed();
    const inv = inventory();
    const d = await discover({ inventory: inv, registry: registry(inv), catalog });
    const byName = d.found.filter((f) => f.matchedBy === 'name').map((f) => `${f.provider} ${f.key}`).sort();
    expect(byName).toEqual(['aws-iam AWS_ACCESS_KEY_ID', 'aws-iam AWS_SECRET_ACCESS_KEY', 'npm-token NPM_TOKEN']);
    expect(d.problems).toEqual([]);

    // During an AWS incident: both AWS-named secrets are places, unverified, and no consumer is made of them.
    const places = await unlistedPlaces({ inventory: inv, registry: registry(inv), catalog, provider: 'aws-iam', credentialId: 'AKIAIOSFODNN7EXAMPLE', known: [] });
    expect(places?.places.map((p) => `${p.key} ${p.matchedBy} ${p.field ?? 'no field'}`).sort()).toEqual(['AWS_ACCESS_KEY_ID name no field', 'AWS_SECRET_ACCESS_KEY name no field']);
    expect(places?.consumers).toEqual([]);

    const draft = draftInventory(inv, d.found, new Map());
    expect(draft).toContain('# Candidates by name only, not added:');
    expect(draft).toContain('#   gh NPM_TOKEN: named like a credential of kind npm-token (unverified');
    expect(parseInventory(draft.split('# Candidates by name only')[0]!).credentials).toEqual([]);
  });

  test('a token GitHub refuses is a discovery problem, not a clean store', async () => {
    await seed();
    const weak = classicToken();
    gh.addToken(weak, { login: 'nobody', kind: 'classic-pat', scopes: [] });
    const inv = inventory();
    const d = await discover({ inventory: inv, registry: catalog.registry({ vault: NO_VAULT, env: {}, settings: { github: { baseUrl: gh.url, token: weak } }, inventory: inv }), catalog });
    expect(d.found).toEqual([]);
    expect(d.problems).toEqual([{ store: 'gh', problem: expect.stringContaining('GitHub Actions secrets of acme/api') }]);
  });
});
