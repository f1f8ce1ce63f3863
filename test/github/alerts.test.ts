import { GitHubSecretScanningAlerts } from '../../providers/github/alerts';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';


describe('GitHub secret scanning alerts', () => {
  let gh: FakeGitHub;
  let alerts: GitHubSecretScanningAlerts;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    const auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo', 'security_events'] });
    alerts = new GitHubSecretScanningAlerts({ baseUrl: gh.url, auth });
  });
  afterEach(() => gh.stop());

  test('an alert is read with its secret and where it was found', async () => {
    const secret = classicToken();
    const sha = 'a'.repeat(40);
    const n = gh.seedAlert('acme/api', { secret, publiclyLeaked: true, locations: [{ path: 'config/.env', startLine: 3, commitSha: sha }] });
    await expect(alerts.readAlert('acme/api', n)).resolves.toEqual({
      secretType: 'github_personal_access_token',
      secret,
      state: 'open',
      htmlUrl: `${gh.url}/acme/api/security/secret-scanning/${n}`,
      publiclyLeaked: true,
      locations: [{ type: 'commit', path: 'config/.env', startLine: 3, commitSha: sha, blobUrl: expect.stringContaining('/repos/acme/api/git/blobs/') }],
    });
  });

  test('resolving marks it revoked with the comment, once', async () => {
    const n = gh.seedAlert('acme/api', { secret: classicToken() });
    await expect(alerts.resolveAlert('acme/api', n, 'Revoked by Leakstop, incident leak-x')).resolves.toMatchObject({ changed: true });
    expect(gh.alert('acme/api', n)).toMatchObject({ state: 'resolved', resolution: 'revoked', resolutionComment: 'Revoked by Leakstop, incident leak-x', resolvedBy: { login: 'leakstop-bot' } });
    await expect(alerts.resolveAlert('acme/api', n, 'again')).resolves.toMatchObject({ changed: false });
    expect(gh.count('PATCH', '/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}')).toBe(1);
    await expect(alerts.readAlert('acme/api', n)).resolves.toMatchObject({ state: 'resolved' });
  });

  test('a missing alert is a permanent not-found', async () => {
    await expect(alerts.readAlert('acme/api', 404)).rejects.toMatchObject({ name: 'PermanentError', reason: 'not-found' });
  });
});
