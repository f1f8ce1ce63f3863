import { PermanentError } from '../../providers/types';
import { slackTokenKind } from '../../providers/slack-token/kind';
import { incidentContext, SlackTokenHarness, thrown } from './harness';

// Apps with token rotation: a rotating access token (xoxe.xoxb-, xoxe.xoxp-) is replaced by exchanging
// the installation's refresh token, a leaked refresh token (xoxe-) is contained by exchanging it. An
// exchange spends the refresh token, so it must happen once per incident whatever is retried.

let h: SlackTokenHarness;
beforeAll(async () => {
  h = await new SlackTokenHarness().start();
});
afterAll(() => h.stop());

const exchanges = () => h.slack.callsOf('oauth.v2.access').length;

test('a rotating bot token: revoked, a new pair exchanged once from the configured refresh token, verified, stored for consumers', async () => {
  const install = h.slack.installation({ scopes: ['chat:write'] });
  const owner = `${install.team_id}/${install.user_id}`;
  const refresh = h.refreshToken('bot', install);
  const provider = h.provider({ refreshTokens: { [owner]: refresh } });
  const leaked = h.token('bot', install, { rotating: true });
  const cred = await h.leak(leaked);
  const ctx = incidentContext();

  await expect(provider.identify(cred)).resolves.toMatchObject({ owner, status: 'active' });
  await expect(provider.contain(cred, owner, ctx)).resolves.toMatchObject({ changed: true, summary: expect.stringMatching(/rotating bot token .*revokes this access token only/) });

  const before = exchanges();
  const made = await provider.regenerate(cred, owner, ctx);
  expect(made).toEqual({ id: expect.stringMatching(/^sha256:[0-9a-f]{16}$/), handle: expect.any(String), removed: [] });
  if ('manual' in made) throw new Error('expected a new credential');
  expect(exchanges()).toBe(before + 1);
  expect(h.slack.refreshTokenUsable(refresh)).toBe(false);

  // A retried regenerate (the activity's answer was lost) finds the pair instead of exchanging again.
  await expect(provider.regenerate(cred, owner, ctx)).resolves.toEqual(made);
  expect(exchanges()).toBe(before + 1);

  // What consumers receive: the new access token, and the new refresh token for the app's next rotation.
  const material = (await h.vault.get(made.handle))!;
  const access = slackTokenKind.render(material, 'token')!;
  const nextRefresh = slackTokenKind.render(material, 'refreshToken')!;
  expect(h.slack.issued.get(access)).toMatchObject({ kind: 'bot', rotating: true, state: 'live' });
  expect(h.slack.refreshTokenUsable(nextRefresh)).toBe(true);
  expect(JSON.parse(slackTokenKind.render(material, 'json')!)).toEqual({ SLACK_BOT_TOKEN: access, SLACK_REFRESH_TOKEN: nextRefresh });

  const verified = await provider.verify(cred, owner, made);
  expect(verified).toMatchObject({ newWorks: true, newIdentity: owner, oldDisabled: true });
  await expect(provider.revoke(cred, owner, ctx)).resolves.toMatchObject({ changed: false });
  h.expectNoSecretIn(made, verified);
});

test('concurrent regenerate attempts in one worker exchange once', async () => {
  const install = h.slack.installation();
  const owner = `${install.team_id}/${install.user_id}`;
  const provider = h.provider({ refreshTokens: { [owner]: h.refreshToken('user', install) } });
  const cred = await h.leak(h.token('user', install, { rotating: true }));
  await provider.identify(cred);
  const before = exchanges();
  const [a, b] = await Promise.all([provider.regenerate(cred, owner, incidentContext()), provider.regenerate(cred, owner, incidentContext())]);
  expect(a).toEqual(b);
  expect(exchanges()).toBe(before + 1);
});

test('a rotating user token without a refresh token for its installation: revoked, replaced by a person (told how to let Leakstop rotate), verified', async () => {
  const install = h.slack.installation();
  const provider = h.provider({ refreshTokens: {} });
  const cred = await h.leak(h.token('user', install, { rotating: true }));
  const ctx = incidentContext();
  const { owner } = await provider.identify(cred);
  await expect(provider.contain(cred, owner, ctx)).resolves.toMatchObject({ changed: true });
  const before = exchanges();
  const step = await provider.regenerate(cred, owner, ctx);
  expect(step).toMatchObject({ manual: true, instructions: expect.stringMatching(/rotating access token.*LEAKSTOP_SLACK_REFRESH_TOKEN_FILE/) });
  expect(exchanges()).toBe(before);
  // The person exchanged the refresh token themselves and registered the new access token.
  const fresh = await h.replacement(h.token('user', install, { rotating: true }));
  await expect(provider.verify(cred, owner, fresh)).resolves.toMatchObject({ newWorks: true, newIdentity: owner, oldDisabled: true });
  await expect(provider.revoke(cred, owner, ctx)).resolves.toMatchObject({ changed: false });
  h.expectNoSecretIn(step);
});

test('a configured refresh token Slack no longer accepts: a person must reinstall (PermanentError)', async () => {
  const install = h.slack.installation();
  const owner = `${install.team_id}/${install.user_id}`;
  const stale = h.refreshToken('bot', install);
  h.slack.refreshGrants.get(stale)!.spent = true; // the app rotated since the file was written
  const provider = h.provider({ refreshTokens: { [owner]: stale } });
  const cred = await h.leak(h.token('bot', install, { rotating: true }));
  await provider.identify(cred);
  const err = await thrown(() => provider.regenerate(cred, owner, incidentContext()));
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toMatch(/Slack refused the refresh token of .* \(invalid_refresh_token\): a person must reinstall the app/);
  h.expectNoSecretIn(err);
});

test('the exchange answer lost on the way: the retry is refused by Slack and says the pair is gone, asking a person to reinstall', async () => {
  const install = h.slack.installation();
  const owner = `${install.team_id}/${install.user_id}`;
  const refresh = h.refreshToken('bot', install);
  const provider = h.provider({ refreshTokens: { [owner]: refresh } });
  const cred = await h.leak(h.token('bot', install, { rotating: true }));
  await provider.identify(cred);
  const ctx = incidentContext();

  const before = exchanges();
  h.slack.loseNextAnswer.add('oauth.v2.access');
  const lost = await thrown(() => provider.regenerate(cred, owner, ctx));
  expect(lost).not.toBeInstanceOf(PermanentError); // retryable: Temporal tries again
  expect(lost.message).toMatch(/no answer from Slack to oauth\.v2\.access/);
  expect(h.slack.refreshTokenUsable(refresh)).toBe(false); // Slack did exchange it

  const retried = await provider.regenerate(cred, owner, ctx);
  expect(retried).toEqual({ manual: true, instructions: expect.stringMatching(/exchanged the refresh token .* at \d{4}-.*answer was lost.*Reinstall the app/) });
  // Sent once by each attempt, never re-sent by the client: the second is Slack's refusal that tells what happened.
  expect(exchanges()).toBe(before + 2);
  h.expectNoSecretIn(lost, retried);
});

test('a leaked refresh token: contained by exchanging it, the pair found again by regenerate, verified, and revoke changes nothing', async () => {
  const install = h.slack.installation({ team: 'Rotators' });
  const leaked = h.refreshToken('bot', install);
  const provider = h.provider({ withRotation: true });
  const cred = await h.leak(leaked);
  const ctx = incidentContext();

  const id = await provider.identify(cred);
  expect(id).toEqual({ owner: 'unknown', status: 'active', lastUsed: { unknown: true, reason: expect.stringMatching(/refresh token .* no way to check one/) } });

  const before = exchanges();
  await expect(provider.contain(cred, 'unknown', ctx)).resolves.toMatchObject({ changed: true, summary: expect.stringMatching(/exchanged the leaked refresh token .*Slack no longer accepts it/) });
  expect(h.slack.refreshTokenUsable(leaked)).toBe(false);
  await expect(provider.contain(cred, 'unknown', ctx)).resolves.toMatchObject({ changed: false });

  const made = await provider.regenerate(cred, 'unknown', ctx);
  if ('manual' in made) throw new Error('expected a new credential');
  expect(exchanges()).toBe(before + 1);

  // The exchange said whose tokens it made; the blast radius shows it from then on.
  expect((await provider.describe(cred, 'unknown')).facts).toMatchObject({ workspace: { id: install.team_id, name: 'Rotators' }, actsAs: { kind: 'bot', id: install.user_id } });

  await expect(provider.verify(cred, 'unknown', made)).resolves.toMatchObject({ newWorks: true, newIdentity: `${install.team_id}/${install.user_id}`, oldDisabled: true, detail: expect.stringMatching(/spent by the exchange/) });
  await expect(provider.revoke(cred, 'unknown', ctx)).resolves.toMatchObject({ changed: false, summary: expect.stringMatching(/already exchanged by this incident/) });

  await provider.forget!(cred);
  expect(await h.vault.get(made.handle)).toBeUndefined();
  h.expectNoSecretIn(id, made);
});

test('a leaked refresh token Slack already refuses (the app rotated it) is reported unchanged, with both possible reasons', async () => {
  const leaked = h.refreshToken('user', h.slack.installation());
  h.slack.refreshGrants.get(leaked)!.spent = true;
  const provider = h.provider({ withRotation: true });
  const cred = await h.leak(leaked);
  await expect(provider.contain(cred, 'unknown', incidentContext())).resolves.toEqual({ changed: false, summary: expect.stringMatching(/does not accept .*already exchanged .*or it belongs to another app/) });
});

test('a leaked refresh token without the client credentials: containment waits for a person who can exchange it', async () => {
  const provider = h.provider();
  const cred = await h.leak(h.refreshToken('bot', h.slack.installation()));
  const err = await thrown(() => provider.contain(cred, 'unknown', incidentContext()));
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.message).toMatch(/only by exchanging it, which needs the app's client id and secret \(LEAKSTOP_SLACK_CLIENT_ID, LEAKSTOP_SLACK_CLIENT_SECRET/);
  await expect(provider.regenerate(cred, 'unknown', incidentContext())).resolves.toMatchObject({ manual: true, instructions: expect.stringContaining('oauth.v2.access') });
  h.expectNoSecretIn(err);
});
