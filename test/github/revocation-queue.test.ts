import { GitHubRateLimitedError } from '../../providers/github/rate-limit';
import { RevocationQueue } from '../../providers/github/revocation-queue';
import { PermanentError } from '../../providers/types';
import { FakeGitHub } from './server';
import { classicToken } from './tokens';


describe('RevocationQueue: POST /credentials/revoke, batched and rate-limit aware', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
  });
  afterEach(() => gh.stop());

  const issue = (n: number) =>
    Array.from({ length: n }, () => {
      const t = classicToken();
      gh.addToken(t, { login: 'octocat', kind: 'classic-pat' });
      return t;
    });
  const revokes = () => gh.requests.filter((r) => r.route === '/credentials/revoke');

  test('tokens submitted within the window share one request; every one is revoked', async () => {
    const tokens = issue(3);
    const queue = new RevocationQueue({ baseUrl: gh.url, windowMs: 50 });
    await Promise.all([...tokens, tokens[0]!].map((t) => queue.submit(t)));
    expect(revokes()).toEqual([expect.objectContaining({ status: 202, authenticated: false })]);
    expect(tokens.every((t) => !gh.state.isLive(t))).toBe(true);
  });

  test('a batch holds at most maxBatch tokens', async () => {
    const tokens = issue(5);
    const queue = new RevocationQueue({ baseUrl: gh.url, windowMs: 20, maxBatch: 2 });
    await Promise.all(tokens.map((t) => queue.submit(t)));
    expect(revokes()).toHaveLength(3);
    expect(tokens.every((t) => !gh.state.isLive(t))).toBe(true);
  });

  test('secondary rate limits (429 retry-after) are waited out, then the batch goes through', async () => {
    const [token] = issue(1);
    gh.rateLimit({ method: 'POST', route: '/credentials/revoke', times: 2, kind: 'secondary', status: 429, retryAfter: 1 });
    const queue = new RevocationQueue({ baseUrl: gh.url });
    const started = Date.now();
    await queue.submit(token!);
    const took = Date.now() - started;
    expect(revokes().map((r) => r.status)).toEqual([429, 429, 202]);
    expect(took).toBeGreaterThanOrEqual(2000); // honoured retry-after: 1s, twice, no spinning
    expect(took).toBeLessThan(8000);
    expect(gh.state.isLive(token!)).toBe(false);
  });

  test('a primary rate limit (403, x-ratelimit-remaining: 0) waits until x-ratelimit-reset', async () => {
    const [token] = issue(1);
    gh.rateLimit({ method: 'POST', route: '/credentials/revoke', times: 1, kind: 'primary', status: 403, retryAfter: 1 });
    const started = Date.now();
    await new RevocationQueue({ baseUrl: gh.url }).submit(token!);
    expect(revokes().map((r) => r.status)).toEqual([403, 202]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  test('attempts are bounded: then a retryable error for Temporal, not a permanent one', async () => {
    const [token] = issue(1);
    gh.rateLimit({ method: 'POST', route: '/credentials/revoke', times: 10, kind: 'secondary', status: 403, retryAfter: 1 });
    const err = await new RevocationQueue({ baseUrl: gh.url, maxAttempts: 2 }).submit(token!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubRateLimitedError);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect((err as Error).message).not.toContain(token);
    expect(revokes()).toHaveLength(2);
    expect(gh.state.isLive(token!)).toBe(true);
  });

  test('a wait longer than maxWaitSeconds is not waited out inside the activity', async () => {
    const [token] = issue(1);
    gh.rateLimit({ method: 'POST', route: '/credentials/revoke', times: 1, kind: 'secondary', retryAfter: 3600 });
    const started = Date.now();
    const err = await new RevocationQueue({ baseUrl: gh.url, maxWaitSeconds: 60 }).submit(token!).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GitHubRateLimitedError', retryAfterSeconds: 3600 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(revokes()).toHaveLength(1);
  });
});
