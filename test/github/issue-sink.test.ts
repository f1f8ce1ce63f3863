import { GitHubIssueSink, incidentLabel } from '../../providers/github/issue-sink';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';


describe('GitHubIssueSink: one post-mortem issue per incident', () => {
  let gh: FakeGitHub;
  let sink: GitHubIssueSink;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
    const auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo'] });
    sink = new GitHubIssueSink({ baseUrl: gh.url, auth, repository: 'acme/security', labels: ['security'] });
  });
  afterEach(() => gh.stop());

  test('opened once with its labels, then updated in place instead of duplicated', async () => {
    const first = await sink.open('leak-aws-0123456789abcdef', '# Post-mortem\n\nfirst draft');
    const issues = gh.issues('acme/security');
    expect(issues).toHaveLength(1);
    expect(first.url).toBe(`${gh.url}/acme/security/issues/1`);
    expect(issues[0]).toMatchObject({ body: '# Post-mortem\n\nfirst draft', state: 'open' });
    expect(issues[0]!.labels.sort()).toEqual(['leakstop', 'leakstop:leak-aws-0123456789abcdef', 'post-mortem', 'security']);

    // A retried activity with the same report changes nothing.
    await expect(sink.open('leak-aws-0123456789abcdef', '# Post-mortem\n\nfirst draft')).resolves.toEqual(first);
    expect(gh.count('PATCH', '/repos/{owner}/{repo}/issues/{issue_number}')).toBe(0);

    // A new version replaces the body and leaves a note for watchers.
    await expect(sink.open('leak-aws-0123456789abcdef', '# Post-mortem\n\nfinal')).resolves.toEqual(first);
    expect(gh.issues('acme/security')).toHaveLength(1);
    expect(issues[0]).toMatchObject({ body: '# Post-mortem\n\nfinal', commentBodies: ['Leakstop updated this post-mortem.'] });
    expect(gh.count('POST', '/repos/{owner}/{repo}/issues')).toBe(1);
  });

  test('another incident gets its own issue; a closed issue is still found', async () => {
    const a = await sink.open('leak-aws-a', 'A');
    gh.issues('acme/security')[0]!.state = 'closed';
    const b = await sink.open('leak-aws-b', 'B');
    expect(b.url).not.toBe(a.url);
    await expect(sink.open('leak-aws-a', 'A2')).resolves.toEqual(a);
    expect(gh.issues('acme/security').map((i) => i.body)).toEqual(['A2', 'B']);
  });

  test('tokens are redacted and labels stay within GitHub limits', async () => {
    const token = classicToken();
    await sink.open('leak-x', `leaked: ${token}`);
    expect(gh.issues('acme/security')[0]!.body).toBe(`leaked: ghp_…${token.slice(-4)}`);
    const long = `leak-github-token-${'f'.repeat(60)}`;
    expect(incidentLabel(long).length).toBeLessThanOrEqual(50);
    expect(incidentLabel(long)).toBe(incidentLabel(long));
  });
});
