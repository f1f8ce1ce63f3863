import { OpenApiContract } from './openapi-contract';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';

describe("the fake GitHub honours GitHub's OpenAPI description", () => {
  const contract = OpenApiContract.load();

  test('a wrong-shaped body is rejected, a right one accepted', () => {
    expect(contract.checkResponse('GET', '/user', 200, { login: 42 }).length).toBeGreaterThan(0);
    expect(contract.checkResponse('GET', '/repos/{owner}/{repo}/actions/secrets/public-key', 200, { key_id: '1' })).toEqual([
      expect.stringContaining("must have required property 'key'"),
    ]);
    expect(contract.checkResponse('GET', '/repos/{owner}/{repo}/actions/secrets/public-key', 200, { key_id: '1', key: 'AAAA' })).toEqual([]);
    // 204 means no body; an undocumented success status is drift too.
    expect(contract.checkResponse('DELETE', '/installation/token', 204, {})).toEqual(['DELETE /installation/token 204 must have no body']);
    expect(contract.checkResponse('DELETE', '/installation/token', 200, {})).toEqual(['GitHub documents no 200 response for DELETE /installation/token']);
    // nullable fields accept null and their type, nothing else.
    const run = { workflow_run_id: 1, run_url: 'https://x.test/r/1', html_url: 'https://x.test/h/1' };
    expect(contract.checkResponse('POST', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', 200, run)).toEqual([]);
    expect(contract.checkResponse('POST', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', 200, { ...run, run_url: 'not a uri' }).length).toBe(1);
  });

  test("an operation only GitHub Enterprise Cloud documents is checked against GHEC's description", () => {
    const route = '/orgs/{org}/credential-authorizations';
    expect(contract.hasOperation('GET', route)).toBe(true);
    const auth = { login: 'octo', credential_id: 1, credential_type: 'personal access token', credential_authorized_at: '2026-01-01T00:00:00Z', credential_accessed_at: null, authorized_credential_id: 2 };
    expect(contract.checkResponse('GET', route, 200, [auth])).toEqual([]);
    expect(contract.checkResponse('GET', route, 200, [{ ...auth, credential_type: 'fine-grained token' }])).toEqual([expect.stringContaining('must be equal to one of the allowed values')]);
    expect(contract.checkResponse('GET', route, 200, [{ ...auth, authorized_credential_id: undefined }]).length).toBe(1);
    // Errors fall back to GHEC's basic-error, as github.com's do to its own.
    expect(contract.checkResponse('GET', route, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' })).toEqual([]);
    expect(contract.checkResponse('GET', route, 404, { message: 404 }).length).toBeGreaterThan(0);
    expect(contract.hasOperation('GET', '/orgs/{org}/no-such-list')).toBe(false);
  });

  test('request bodies are checked too', () => {
    expect(contract.checkRequest('POST', '/credentials/revoke', { credentials: [] }).length).toBeGreaterThan(0);
    expect(contract.checkRequest('POST', '/credentials/revoke', { credentials: ['x'] })).toEqual([]);
  });

  test('a wrong-shaped response from the server answers 500, is recorded, and makes stop() throw', async () => {
    const gh = await new FakeGitHub().start();
    const token = classicToken();
    gh.addToken(token, { login: 'octo', kind: 'classic-pat', scopes: ['repo'] });
    const ok = await fetch(`${gh.url}/user`, { headers: { authorization: `token ${token}` } });
    expect(ok.status).toBe(200);

    gh.override('GET', '/user', () => ({ status: 200, body: { login: 'octo' } }));
    const bad = await fetch(`${gh.url}/user`, { headers: { authorization: `token ${token}` } });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { message: string }).message).toContain('does not match the OpenAPI description');
    expect(gh.violations).toEqual([expect.stringContaining('GET /user → 200')]);
    await expect(gh.stop()).rejects.toThrow(/broke GitHub's OpenAPI contract/);
  });
});
