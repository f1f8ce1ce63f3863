import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGitHubClient } from '../../providers/github/client';
import { GitHubIssueSink } from '../../providers/github/issue-sink';
import { PermanentError } from '../../providers/types';
import { classicToken } from '../github/tokens';

// The GitHub API (or whatever answers at its configured base URL) redirects Leakstop to another
// origin. Node's fetch drops the Authorization header on such a redirect, but still makes the request
// and, for a 307 or 308, sends the body (a post-mortem, a sealed secret) along. Leakstop's GitHub
// client follows redirects only within the configured origin.

class Local {
  readonly requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => json(res, 201, { html_url: `${this.origin}/stolen/1`, number: 1 });
  origin = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        this.answer(req, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const github = new Local();
const elsewhere = new Local();
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
