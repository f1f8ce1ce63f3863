import { SlackRateLimitedError } from '../../providers/slack-token/client';
import { PermanentError } from '../../providers/types';
import { incidentContext, SlackTokenHarness, thrown } from './harness';

// Slack answers 429 `ratelimited` with Retry-After. A short wait is honoured inside the call; a longer
// one, or a limit that persists, fails the call retryably so that Temporal tries again later.

let h: SlackTokenHarness;
beforeAll(async () => {
  h = await new SlackTokenHarness().start();
});
afterAll(() => h.stop());

const count = (method: string) => h.slack.callsOf(method).length;

test('a Retry-After within the bound is waited out, and the call then succeeds', async () => {
  const provider = h.provider({ rateLimit: { attempts: 2, maxWaitSeconds: 1 } });
  const install = h.slack.installation();
  const cred = await h.leak(h.token('bot', install));
  const before = count('auth.test');
  h.slack.rateLimit('auth.test', 1, 1);
  await expect(provider.identify(cred)).resolves.toMatchObject({ owner: `${install.team_id}/${install.user_id}`, status: 'active' });
  expect(count('auth.test')).toBe(before + 2);
});

test('a Retry-After beyond the bound is not waited: the call fails retryably, saying when to retry', async () => {
  const provider = h.provider({ rateLimit: { attempts: 3, maxWaitSeconds: 1 } });
  const token = h.token('user', h.slack.installation());
  const cred = await h.leak(token);
  const before = count('auth.revoke');
  h.slack.rateLimit('auth.revoke', 1, 120);
  const err = await thrown(() => provider.contain(cred, 'x', incidentContext()));
  expect(err).toBeInstanceOf(SlackRateLimitedError);
  expect(err).not.toBeInstanceOf(PermanentError);
  expect(err).toMatchObject({ name: 'SlackRateLimitedError', retryAfterSeconds: 120, message: 'Slack rate-limited auth.revoke 1 time(s); retry in 120s' });
  expect(count('auth.revoke')).toBe(before + 1);
  expect(h.slack.tokenState(token)).toBe('live');
  h.expectNoSecretIn(err);
});

test('a limit that persists past the attempts fails retryably after them', async () => {
  const provider = h.provider({ rateLimit: { attempts: 2, maxWaitSeconds: 1 } });
  const cred = await h.leak(h.token('bot', h.slack.installation()));
  const before = count('auth.test');
  h.slack.rateLimit('auth.test', 5, 1);
  const err = await thrown(() => provider.identify(cred));
  expect(err).toMatchObject({ name: 'SlackRateLimitedError', message: 'Slack rate-limited auth.test 2 time(s); retry in 1s' });
  expect(count('auth.test')).toBe(before + 2);
  h.slack.rateLimits.delete('auth.test');
});

test('a rate-limited exchange was not processed by Slack, so it is sent again after the wait and exchanges once', async () => {
  const install = h.slack.installation();
  const owner = `${install.team_id}/${install.user_id}`;
  const refresh = h.refreshToken('bot', install);
  const provider = h.provider({ refreshTokens: { [owner]: refresh }, rateLimit: { attempts: 2, maxWaitSeconds: 1 } });
  const cred = await h.leak(h.token('bot', install, { rotating: true }));
  await provider.identify(cred);
  const grants = h.slack.refreshGrants.size;
  const calls = count('oauth.v2.access');
  h.slack.rateLimit('oauth.v2.access', 1, 1);
  const made = await provider.regenerate(cred, owner, incidentContext());
  expect(made).toMatchObject({ id: expect.stringMatching(/^sha256:/) });
  expect(h.slack.refreshTokenUsable(refresh)).toBe(false);
  expect(count('oauth.v2.access')).toBe(calls + 2); // refused with 429, then processed
  expect(h.slack.refreshGrants.size).toBe(grants + 1); // one exchange made one new refresh token
});
