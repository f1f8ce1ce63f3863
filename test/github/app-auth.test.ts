import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { listOrgTokens } from '../../providers/github/org-tokens';
import { loadConfig } from '../../worker/config';
import { scratchDir } from '../support/env';
import { thrown } from '../support/fixtures';
import { FakeGitHub } from './server';
import { classicToken, fineGrainedToken } from './tokens';

// Leakstop as a GitHub App installation (LEAKSTOP_GITHUB_APP_*): an organization's fine-grained token
// list answers GitHub Apps only, and an installation token lasts an hour, so Leakstop mints its own
// from the App's private key, as GitHub describes (a JWT signed RS256, then POST
// /app/installations/{id}/access_tokens), through octokit's auth-app against the local GitHub API.

const gh = new FakeGitHub();
const BOT = 'leakstop-audit[bot]';
const dir = scratchDir('github-app');
const keyFile = path.join(dir, 'leakstop.private-key.pem');
const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const key = pair();
let app: ReturnType<FakeGitHub['addApp']>;
let grantId = '';

beforeAll(async () => {
  await gh.start();
  // GitHub hands the key out as PKCS#1 PEM: used as it comes.
  writeFileSync(keyFile, key.privateKey, { mode: 0o600 });
  app = gh.addApp({ appId: '31337', publicKeyPem: key.publicKey, installations: { 4242: BOT } });
  gh.addOrg('acme', { admins: [BOT] });
  grantId = String(gh.grantFineGrainedToken('acme', fineGrainedToken(), { login: 'alice', name: 'deploy', grantedAt: '2026-10-01T00:00:00Z' }).tokenId);
});
afterAll(() => gh.stop()); // throws if any response broke GitHub's OpenAPI description

const appEnv = (over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  LEAKSTOP_GITHUB_API_URL: gh.url,
  LEAKSTOP_GITHUB_APP_ID: '31337',
  LEAKSTOP_GITHUB_APP_INSTALLATION_ID: '4242',
  LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: keyFile,
  ...over,
});

test('configured as an App, Leakstop mints an installation token once and lists the fine-grained tokens GitHub shows Apps only', async () => {
  const { github } = loadConfig(appEnv());
  expect(github.token).toEqual({ appId: '31337', installationId: 4242, privateKey: key.privateKey });
  const listing = { baseUrl: github.baseUrl, token: github.token, org: 'acme', lists: ['fine-grained'] as const };
  const first = await listOrgTokens(listing);
  expect(first).toEqual([expect.objectContaining({ provider: 'github-token', id: `fine-grained-pat:${grantId}`, owner: 'alice' })]);
  // Another client in the same process (each activity builds its own): the token minted first is reused.
  expect(await listOrgTokens(listing)).toEqual(first);
  expect(app.minted).toHaveLength(1);
  expect(app.minted[0]!.installationId).toBe(4242);
  expect(gh.requests.filter((r) => r.route === '/app/installations/{installation_id}/access_tokens').map((r) => r.status)).toEqual([201]);
});

test('an App key GitHub does not know is refused, and the refusal never carries the key', async () => {
  const other = pair();
  const otherFile = path.join(dir, 'other.pem');
  writeFileSync(otherFile, other.privateKey, { mode: 0o600 });
  const { github } = loadConfig(appEnv({ LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: otherFile, LEAKSTOP_GITHUB_APP_INSTALLATION_ID: '4243' }));
  const err = await thrown(() => listOrgTokens({ baseUrl: github.baseUrl, token: github.token, org: 'acme', lists: ['fine-grained'] }));
  expect(err.message).toMatch(/401/);
  expect(err.message).not.toContain('PRIVATE KEY');
  expect(JSON.stringify(err)).not.toContain(other.privateKey.split('\n')[1]!);
});

test('the App settings are checked at start: all three or none, never with a token, each named with its problem', () => {
  const fails = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };
  expect(fails(appEnv({ LEAKSTOP_GITHUB_TOKEN: classicToken() }))).toBe('LEAKSTOP_GITHUB_TOKEN and LEAKSTOP_GITHUB_APP_ID: Leakstop acts on GitHub as one identity, a token or a GitHub App; set one of them');
  expect(fails(appEnv({ LEAKSTOP_GITHUB_APP_INSTALLATION_ID: '' }))).toBe('LEAKSTOP_GITHUB_APP_INSTALLATION_ID: required with LEAKSTOP_GITHUB_APP_ID (a GitHub App needs its id, its installation\'s id and its private key file)');
  expect(fails(appEnv({ LEAKSTOP_GITHUB_APP_ID: 'app; rm -rf' }))).toBe('LEAKSTOP_GITHUB_APP_ID: must be the App\'s id (digits) or client id (Iv…), got "app; rm -rf"');
  expect(fails(appEnv({ LEAKSTOP_GITHUB_APP_INSTALLATION_ID: '-1' }))).toBe('LEAKSTOP_GITHUB_APP_INSTALLATION_ID: must be the installation\'s id (a positive integer), got "-1"');
  expect(fails(appEnv({ LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem') }))).toBe(`LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: cannot read ${path.join(dir, 'missing.pem')} (ENOENT)`);
  const notAKey = path.join(dir, 'token.txt');
  const secret = classicToken();
  writeFileSync(notAKey, secret);
  const said = fails(appEnv({ LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: notAKey }));
  expect(said).toBe(`LEAKSTOP_GITHUB_APP_PRIVATE_KEY_FILE: ${notAKey} does not hold an RSA private key in PEM (the .pem file GitHub generates for the App)`);
  expect(said).not.toContain(secret);
  // No App settings: the token, as before.
  const token = classicToken();
  expect(loadConfig({ LEAKSTOP_GITHUB_TOKEN: token }).github.token).toBe(token);
});
