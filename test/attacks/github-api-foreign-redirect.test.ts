import { createGitHubClient } from '../../providers/github/client';
import { GitHubIssueSink } from '../../providers/github/issue-sink';
import { PermanentError } from '../../providers/types';
import { classicToken } from '../github/tokens';
import { json, RecordingServer, type Answer } from '../support/recording-server';

// The GitHub API (or whatever answers at its configured base URL) redirects Leakstop to another
// origin. Node's fetch drops the Authorization header on such a redirect, but still makes the request
// and, for a 307 or 308, sends the body (a post-mortem, a sealed secret) along. Leakstop's GitHub
// client follows redirects only within the configured origin.


/** An issue created, as the server answering says: its own origin in the issue's URL. */
const created = (self: () => RecordingServer): Answer => (_req, res) => json(res, 201, { html_url: `${self().origin}/stolen/1`, number: 1 });
const github: RecordingServer = new RecordingServer(created(() => github));
const elsewhere: RecordingServer = new RecordingServer(created(() => elsewhere));
const auth = classicToken();
beforeAll(() => Promise.all([github.start(), elsewhere.start()]));
afterAll(() => Promise.all([github.stop(), elsewhere.stop()]));
beforeEach(() => {
  github.requests.length = 0;
  elsewhere.requests.length = 0;
});

test('a 307 from the API to another origin is refused: the post-mortem body goes nowhere else', async () => {
  github.answer = (req, res) =>
    req.method === 'GET' ? json(res, 200, []) : json(res, 307, { message: 'moved' }, { location: `${elsewhere.origin}/collect` });
  // retries: 0, so the test does not wait out octokit's back-off; a retry is refused the same way.
  const sink = new GitHubIssueSink({ baseUrl: github.origin, auth, repository: 'acme/security', retries: 0 });
  const err = await sink.open('leak-aws-0123456789abcdef', '# Post-mortem\n\ninternal details').then(() => undefined, (e: unknown) => e);
  expect(elsewhere.requests.map((r) => `${r.method} ${r.url} ${r.body.length} bytes`)).toEqual([]);
  expect(err).toBeInstanceOf(PermanentError);
  expect((err as Error).message).toMatch(new RegExp(`redirect \\(307\\) to ${elsewhere.origin}.*only ${github.origin}`));
  expect((err as Error).message).not.toContain(auth);
});

test('a redirect within the configured origin (a renamed repository) is still followed, with the token', async () => {
  github.answer = (req, res) =>
    req.url === '/repos/acme/old-name'
      ? json(res, 301, { message: 'Moved Permanently', url: `${github.origin}/repositories/42` }, { location: `${github.origin}/repositories/42` })
      : json(res, 200, { id: 42, full_name: 'acme/new-name' });
  const client = createGitHubClient({ baseUrl: github.origin, auth, retries: 0 });
  const r = await client.rest.repos.get({ owner: 'acme', repo: 'old-name' });
  expect(r.data.full_name).toBe('acme/new-name');
  expect(github.requests.map((q) => [q.method, q.url, q.headers.authorization])).toEqual([
    ['GET', '/repos/acme/old-name', `token ${auth}`],
    ['GET', '/repositories/42', `token ${auth}`],
  ]);
  expect(elsewhere.requests).toEqual([]);
});
