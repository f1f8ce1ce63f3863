import { PermanentError, type CredentialProvider } from '../../providers/types';
import { slackTokenKind } from '../../providers/slack-token/kind';
import { incidentContext, SlackTokenHarness, thrown } from './harness';

// App-level tokens (xapp-) answer auth.test and auth.revoke like other tokens but are made only in the
// app's settings; incoming webhook URLs answer no API at all: every step that needs Slack's help says
// what a person does instead.

let h: SlackTokenHarness;
let provider: CredentialProvider;
beforeAll(async () => {
  h = await new SlackTokenHarness().start();
  provider = h.provider();
});
afterAll(() => h.stop());

test('an app-level token: owned by its app, revoked, replaced in the app settings, verified for the same app', async () => {
  const install = h.slack.installation({ app_name: 'Socket bot', scopes: ['connections:write'] });
  const cred = await h.leak(h.token('app', install));
  const ctx = incidentContext();

  const id = await provider.identify(cred);
  expect(id).toMatchObject({ owner: install.app_id, status: 'active' });
  expect((await provider.describe(cred, id.owner)).facts).toMatchObject({ credential: 'app-level token', actsAs: { kind: 'app', id: install.app_id, name: 'Socket bot' }, scopes: ['connections:write'] });

  await expect(provider.contain(cred, id.owner, ctx)).resolves.toMatchObject({ changed: true });
  const step = await provider.regenerate(cred, id.owner, ctx);
  expect(step).toMatchObject({ manual: true, instructions: expect.stringMatching(new RegExp(`new app-level token for the Slack app ${install.app_id} .*App-Level Tokens`)) });

  const otherApp = await h.replacement(h.token('app', h.slack.installation()));
  expect((await thrown(() => provider.verify(cred, id.owner, otherApp))).message).toMatch(new RegExp(`speaks for A[A-Z0-9]+, not ${install.app_id}`));
  const fresh = await h.replacement(h.token('app', install));
  await expect(provider.verify(cred, id.owner, fresh)).resolves.toMatchObject({ newWorks: true, newIdentity: install.app_id, oldDisabled: true });
  await expect(provider.revoke(cred, id.owner, ctx)).resolves.toMatchObject({ changed: false });
  h.expectNoSecretIn(id, step);
});

test('an app-level token Slack will not revoke through auth.revoke: containment waits for a person, with the way to do it', async () => {
  const install = h.slack.installation();
  const token = h.token('app', install, { refuseRevoke: true });
  const cred = await h.leak(token);
  const { owner } = await provider.identify(cred);
  const err = await thrown(() => provider.contain(cred, owner, incidentContext()));
  expect(err).toBeInstanceOf(PermanentError);
  expect((err as PermanentError).reason).toBe('denied');
  expect(err.message).toMatch(new RegExp(`revoke it by hand .*the app ${install.app_id} → Basic Information → App-Level Tokens`));
  expect(h.slack.tokenState(token)).toBe('live');
  h.expectNoSecretIn(err);
});

test('an incoming webhook URL: taken to work, not contained or revoked by API (a person removes it), replaced by a person, compared by workspace', async () => {
  const url = h.webhookUrl('TWEBHOOK01');
  const cred = await h.leak(url);
  const ctx = incidentContext();
  const calls = h.slack.calls.length;

  const id = await provider.identify(cred);
  expect(id).toEqual({ owner: expect.stringMatching(/^TWEBHOOK01\/B[A-Z0-9]+$/), account: 'TWEBHOOK01', status: 'active', lastUsed: { unknown: true, reason: expect.stringMatching(/cannot be checked without posting/) } });
  expect((await provider.describe(cred, id.owner)).facts).toMatchObject({ credential: 'incoming webhook URL', workspace: { id: 'TWEBHOOK01' }, actsAs: { kind: 'webhook' }, scopes: { unknown: true } });

  const contain = await thrown(() => provider.contain(cred, id.owner, ctx));
  expect(contain).toBeInstanceOf(PermanentError);
  expect(contain.message).toMatch(/no API to disable an incoming webhook: remove it by hand .*Incoming Webhooks → Remove next to the URL with TWEBHOOK01\/B/);

  const step = await provider.regenerate(cred, id.owner, ctx);
  expect(step).toMatchObject({ manual: true, instructions: expect.stringMatching(/Add a new incoming webhook to the same channel .*in workspace TWEBHOOK01/) });

  const elsewhere = await h.replacement(h.webhookUrl('TOTHER0001'));
  expect((await thrown(() => provider.verify(cred, id.owner, elsewhere))).message).toMatch(/posts to workspace TOTHER0001, the leaked one to TWEBHOOK01/);
  const token = await h.replacement(h.token('bot', h.slack.installation()));
  expect((await thrown(() => provider.verify(cred, id.owner, token))).message).toMatch(/cannot replace a leaked incoming webhook URL/);

  const freshUrl = h.webhookUrl('TWEBHOOK01');
  const fresh = await h.replacement(freshUrl);
  // Nothing can be checked without posting to a channel, and the result does not pretend otherwise.
  const verified = await provider.verify(cred, id.owner, fresh);
  expect(verified).toMatchObject({ newWorks: false, oldDisabled: false, detail: expect.stringMatching(/same workspace; neither it nor the leaked .* was checked/) });
  expect(slackTokenKind.render((await h.vault.get(fresh.handle))!, 'json')).toBe(JSON.stringify({ SLACK_WEBHOOK_URL: freshUrl }));

  expect(await thrown(() => provider.revoke(cred, id.owner, ctx))).toBeInstanceOf(PermanentError);
  // Slack was never called for a webhook: there is nothing it would answer.
  expect(h.slack.calls.length).toBe(calls);
  h.expectNoSecretIn(id, contain, step, verified);
});
