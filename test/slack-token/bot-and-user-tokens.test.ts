import { PermanentError, type CredentialProvider } from '../../providers/types';
import { incidentContext, SlackTokenHarness, thrown } from './harness';

// Bot and user tokens (xoxb-, xoxp-) through every verb against the local Slack Web API: no API makes
// a new one, so regenerate is a person's step, and their replacement is checked before it is used.

let h: SlackTokenHarness;
let provider: CredentialProvider;
beforeAll(async () => {
  h = await new SlackTokenHarness().start();
  provider = h.provider();
});
afterAll(() => h.stop());

test('a bot token: identified, mapped, revoked once, replaced by a person, verified, and revoke finds it revoked', async () => {
  const install = h.slack.installation({ team: 'Acme', user: 'deploy-bot', bot_id: 'BDEPLOY01', scopes: ['chat:write', 'files:read'] });
  const token = h.token('bot', install);
  const cred = await h.leak(token);
  const ctx = incidentContext();
  const owner = `${install.team_id}/${install.user_id}`;

  const id = await provider.identify(cred);
  expect(id).toEqual({ owner, account: install.team_id, status: 'active', lastUsed: { unknown: true, reason: expect.stringMatching(/Slack does not report/) } });

  const radius = await provider.describe(cred, owner);
  expect(radius).toEqual({
    owner,
    facts: {
      credential: 'bot token',
      workspace: { id: install.team_id, name: 'Acme' },
      actsAs: { kind: 'bot', id: install.user_id, name: 'deploy-bot', botId: 'BDEPLOY01' },
      app: { unknown: true, reason: expect.any(String) },
      scopes: ['chat:write', 'files:read'],
      recentActivity: { unknown: true, reason: 'Slack has no API for what a token did; see the workspace access logs' },
    },
  });

  const revokes = h.slack.callsOf('auth.revoke').length;
  const contained = await provider.contain(cred, owner, ctx);
  expect(contained).toMatchObject({ changed: true, summary: expect.stringMatching(/revoked the leaked bot token sha256:[0-9a-f]{8}… of .* with auth\.revoke.*deactivates the bot user/) });
  expect(h.slack.tokenState(token)).toBe('token_revoked');
  // A retried containment changes nothing and says why.
  await expect(provider.contain(cred, owner, ctx)).resolves.toMatchObject({ changed: false, summary: expect.stringMatching(/already revoked: Slack answers token_revoked/) });
  expect(h.slack.callsOf('auth.revoke')).toHaveLength(revokes + 2);

  // Once revoked, Slack no longer says whose it was: identification falls back on what it kept.
  await expect(provider.identify(cred)).resolves.toMatchObject({ owner, status: 'inactive' });

  const step = await provider.regenerate(cred, owner, ctx);
  expect(step).toEqual({ manual: true, instructions: expect.stringMatching(/Reinstall .* to workspace .*Bot User OAuth Token.*leakstop incident done leak-slack-token-/) });

  const fresh = await h.replacement(h.token('bot', install));
  const verified = await provider.verify(cred, owner, fresh);
  expect(verified).toEqual({ newWorks: true, newIdentity: owner, oldDisabled: true, detail: expect.stringMatching(/works as .*; leaked bot token .* rejected by Slack \(token_revoked\)/) });

  await expect(provider.revoke(cred, owner, ctx)).resolves.toMatchObject({ changed: false, summary: expect.stringMatching(/already revoked/) });

  h.expectNoSecretIn(id, radius, contained, step, verified);
});

test('a user token: the manual step asks that user to authorise the app again; a replacement for another user is refused', async () => {
  const install = h.slack.installation({ user: 'alice' });
  const token = h.token('user', install);
  const cred = await h.leak(token);
  const ctx = incidentContext();
  const { owner } = await provider.identify(cred);
  expect(owner).toBe(`${install.team_id}/${install.user_id}`);
  await expect(provider.contain(cred, owner, ctx)).resolves.toMatchObject({ changed: true });

  const step = await provider.regenerate(cred, owner, ctx);
  expect(step).toMatchObject({ manual: true, instructions: expect.stringContaining(`Have Slack user ${install.user_id} in workspace ${install.team_id} authorise`) });

  const someoneElse = await h.replacement(h.token('user', h.slack.installation({ team_id: install.team_id })));
  const refused = await thrown(() => provider.verify(cred, owner, someoneElse));
  expect(refused).toBeInstanceOf(PermanentError);
  expect(refused.message).toMatch(new RegExp(`speaks for ${install.team_id}/U[A-Z0-9]+, not ${owner}`));

  const botInstead = await h.replacement(h.token('bot', install));
  expect((await thrown(() => provider.verify(cred, owner, botInstead))).message).toMatch(/a bot token, which cannot replace a leaked user token/);

  const sameToken = await h.replacement(token);
  expect((await thrown(() => provider.verify(cred, owner, sameToken))).message).toMatch(/is the leaked one/);

  const right = await h.replacement(h.token('user', install));
  await expect(provider.verify(cred, owner, right)).resolves.toMatchObject({ newWorks: true, oldDisabled: true });
  await expect(provider.revoke(cred, owner, ctx)).resolves.toMatchObject({ changed: false, summary: expect.stringMatching(/user token .* was already revoked/) });
  h.expectNoSecretIn(step, refused);
});

test('a replacement Slack does not accept is refused before anything is written', async () => {
  const install = h.slack.installation();
  const cred = await h.leak(h.token('bot', install));
  const { owner } = await provider.identify(cred);
  const dead = await h.replacement(h.token('bot', install, { state: 'invalid_auth' }));
  const err = await thrown(() => provider.verify(cred, owner, dead));
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toMatch(/Slack does not accept the new bot token sha256:[0-9a-f]{8}… \(invalid_auth\)/);
  h.expectNoSecretIn(err);
});

test.each([['token_revoked'], ['invalid_auth'], ['account_inactive']] as const)('a token Slack answers %s for is inactive, and revoking it changes nothing', async (state) => {
  const cred = await h.leak(h.token('user', h.slack.installation(), { state }));
  await expect(provider.identify(cred)).resolves.toMatchObject({ owner: 'unknown', status: 'inactive' });
  await expect(provider.contain(cred, 'unknown', incidentContext())).resolves.toEqual({ changed: false, summary: expect.stringContaining(`Slack answers ${state}`) });
});

test('forget deletes the facts kept beside the leaked token', async () => {
  const install = h.slack.installation({ team: 'Forgettable' });
  const cred = await h.leak(h.token('bot', install));
  await provider.identify(cred);
  await provider.contain(cred, 'x', incidentContext());
  await provider.forget!(cred);
  // With its facts gone, a revoked token names no owner any more.
  await expect(provider.identify(cred)).resolves.toMatchObject({ owner: 'unknown', status: 'inactive' });
  expect((await provider.describe(cred, 'unknown')).facts).toMatchObject({ workspace: { unknown: true } });
});
