import sodium from 'libsodium-wrappers';
import { repoOf, type FakeGitHubState, type StoredSecret } from '../fake-state';
import { HttpError, type FakeRequest, type Route } from '../router';

// Actions secrets (repository, environment, organization) and repository variables. Each secret scope
// holds a real libsodium key pair, so tests can open what a client sealed.

/** GitHub stores secret and variable names upper-case and matches them case-insensitively. */
const canonical = (name: string) => name.toUpperCase();

type Scope = (req: FakeRequest) => string;

export function actionsSecretRoutes(state: FakeGitHubState, api: () => string): Route[] {
  const scopes: [string, Scope][] = [
    ['/repos/{owner}/{repo}/actions/secrets', (req) => `repo:${repoOf(req)}`],
    ['/repos/{owner}/{repo}/environments/{environment_name}/secrets', (req) => `env:${repoOf(req)}/${req.params.environment_name}`],
    ['/orgs/{org}/actions/secrets', (req) => `org:${req.params.org}`],
  ];
  return scopes.flatMap(([base, scopeOf]): Route[] => [
    {
      // The names and dates of a scope's secrets, never values; paged as GitHub pages (per_page, page).
      method: 'GET',
      route: base,
      handle(req) {
        const org = req.params.org;
        // GitHub's docs: a classic token lists a repository's secrets with `repo`, an organization's with `admin:org`.
        const t = state.caller(req);
        if (t.kind === 'classic-pat' && !t.scopes.includes(org ? 'admin:org' : 'repo')) throw new HttpError(403, 'Resource not accessible by personal access token');
        const all = [...state.secretsOf(scopeOf(req)).entries()].sort(([a], [b]) => a.localeCompare(b));
        const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page')) || 30));
        const page = Math.max(1, Number(req.query.get('page')) || 1);
        const secrets = all.slice((page - 1) * perPage, page * perPage).map(([name, s]) => ({
          name,
          created_at: s.createdAt,
          updated_at: s.updatedAt,
          ...(org ? { visibility: s.visibility ?? 'private', selected_repositories_url: `${api()}/orgs/${org}/actions/secrets/${name}/repositories` } : {}),
        }));
        return { status: 200, body: { total_count: all.length, secrets } };
      },
    },
    {
      method: 'GET',
      route: `${base}/public-key`,
      handle(req) {
        state.caller(req);
        const k = state.keypair(scopeOf(req));
        return { status: 200, body: { key_id: k.keyId, key: sodium.to_base64(k.publicKey, sodium.base64_variants.ORIGINAL) } };
      },
    },
    {
      method: 'GET',
      route: `${base}/{secret_name}`,
      handle(req) {
        state.caller(req);
        const name = canonical(req.params.secret_name!);
        const s = state.secretsOf(scopeOf(req)).get(name);
        if (!s) throw new HttpError(404, 'Not Found');
        const org = req.params.org;
        return {
          status: 200,
          body: {
            name,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
            ...(org ? { visibility: s.visibility, selected_repositories_url: `${api()}/orgs/${org}/actions/secrets/${name}/repositories` } : {}),
          },
        };
      },
    },
    {
      method: 'PUT',
      route: `${base}/{secret_name}`,
      handle(req) {
        state.caller(req);
        const scope = scopeOf(req);
        const body = req.body as { encrypted_value: string; key_id: string; visibility?: StoredSecret['visibility']; selected_repository_ids?: number[] };
        const k = state.keypair(scope);
        if (body.key_id !== k.keyId) throw new HttpError(422, 'key_id does not match the current public key');
        try {
          sodium.crypto_box_seal_open(sodium.from_base64(body.encrypted_value, sodium.base64_variants.ORIGINAL), k.publicKey, k.privateKey);
        } catch {
          throw new HttpError(422, 'encrypted_value could not be decrypted with the public key');
        }
        const name = canonical(req.params.secret_name!);
        const secrets = state.secretsOf(scope);
        const existing = secrets.get(name);
        const now = state.now();
        secrets.set(name, {
          encryptedValue: body.encrypted_value,
          keyId: body.key_id,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
          visibility: body.visibility,
          selectedRepositoryIds: body.selected_repository_ids,
        });
        return existing ? { status: 204 } : { status: 201, body: {} };
      },
    },
  ]);
}

export function actionsVariableRoutes(state: FakeGitHubState): Route[] {
  const base = '/repos/{owner}/{repo}/actions/variables';
  return [
    {
      method: 'POST',
      route: base,
      handle(req) {
        state.caller(req);
        const body = req.body as { name: string; value: string };
        const vars = state.variablesOf(repoOf(req));
        const name = canonical(body.name);
        if (vars.has(name)) throw new HttpError(409, 'Already exists');
        const now = state.now();
        vars.set(name, { value: body.value, createdAt: now, updatedAt: now });
        return { status: 201, body: {} };
      },
    },
    {
      method: 'GET',
      route: `${base}/{name}`,
      handle(req) {
        state.caller(req);
        const name = canonical(req.params.name!);
        const v = state.variablesOf(repoOf(req)).get(name);
        if (!v) throw new HttpError(404, 'Not Found');
        return { status: 200, body: { name, value: v.value, created_at: v.createdAt, updated_at: v.updatedAt } };
      },
    },
    {
      method: 'PATCH',
      route: `${base}/{name}`,
      handle(req) {
        state.caller(req);
        const vars = state.variablesOf(repoOf(req));
        const name = canonical(req.params.name!);
        const v = vars.get(name);
        if (!v) throw new HttpError(404, 'Not Found');
        const body = req.body as { name?: string; value?: string };
        if (body.value !== undefined) v.value = body.value;
        v.updatedAt = state.now();
        if (body.name && canonical(body.name) !== name) {
          vars.delete(name);
          vars.set(canonical(body.name), v);
        }
        return { status: 204 };
      },
    },
  ];
}
