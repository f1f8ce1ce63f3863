import path from 'node:path';
import { LogLevel } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { leakedHandle } from '../../domain/handles';
import { secretId } from '../../domain/fingerprint';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { notifierClient, SlackNotifier } from '../../providers/slack/notifier';
import { keepSecret } from '../../triggers/keep-secret';
import { statusQuery } from '../../workflows/definitions';
import { FakeGitHub } from '../github/server';
import { classicToken } from '../github/tokens';
import { eventually, scratchDir, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { waitForState } from '../support/fixtures';
import { APPROVER, APPROVERS_GROUP, buttonClick, CHANNEL, REPORTER, reportValues, SlackHarness, STRANGER, viewSubmission } from './harness';

// GitHub tokens through Slack, end to end: the real Bolt receiver and local Slack, the real worker on
// the Temporal dev server, and the fake GitHub API. A token pasted into the report form goes to the
// worker's vault and names the incident only by its hash; "Done" on the manual regenerate step asks
// for the replacement in a modal, which goes to the vault too. Neither token ever reaches Slack.

const REPO = 'acme/api';
const SERVICE_TOKEN = classicToken(); // Leakstop's own GitHub token (Actions secrets)

let client: Client;
const github = new FakeGitHub(); // its stop() throws if any response broke GitHub's OpenAPI description
useTemporal((c) => (client = c), github);
beforeAll(() => github.addToken(SERVICE_TOKEN, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo'] }));

// A pasted token is proof enough for this team: the inventory trusts Slack reports to act at once
// (the default, where containment waits for an approver, is tested in test/attacks/).
const inventoryFor = (owner: string) => `
trust: { actAtOnce: [slack] }
stores:
  ci: { kind: github-actions-secret, repository: ${REPO} }
credentials:
  - provider: github-token
    owner: ${owner}
    consumers:
      - { name: api, store: ci, key: CI_TOKEN, field: token }
`;

/** A worker with the GitHub provider and a Slack notifier, and the Slack app keeping secrets in that worker's vault. */
async function slackWithGitHub(name: string, owner: string) {
  const taskQueue = uniqueQueue(name);
  const dataDir = scratchDir(name);
  const vault = new LocalFileVault(path.join(dataDir, 'vault'));
  const h = await new SlackHarness().start(client, taskQueue, {
    keepSecret: (provider, secret, purpose = 'new') => keepSecret(vault, purpose, provider, secret),
  });
  const notifier = new SlackNotifier(notifierClient('xoxb-test-token', { slackApiUrl: h.slack.apiUrl, logLevel: LogLevel.ERROR }), CHANNEL, { escalate: APPROVERS_GROUP });
  const worker = await startWorker({ taskQueue, dataDir, inventory: inventoryFor(owner), notifier, github: { baseUrl: github.url, token: SERVICE_TOKEN } });
  expect(worker.dataDir).toBe(dataDir);
  const started: string[] = [];

  /** /leakstop report, then the form submitted with the pasted token: returns the incident and the reply. */
  async function reportToken(token: string) {
    const opens = h.slack.callsOf('views.open').length;
    const cmd = await h.command('report', REPORTER);
    expect(cmd.status).toBe(200);
    const opened = await eventually(async () => h.slack.callsOf('views.open')[opens], 10_000, 'the report form');
    expect(opened.view.callback_id).toBe('leakstop_report');
    const submitted = await h.interact(
      viewSubmission(opened.view, reportValues({ provider: 'github-token', credential: token, where: `https://github.com/${REPO}/commit/4f9c2e0` }), REPORTER),
    );
    expect(submitted).toMatchObject({ status: 200, body: '' });
    const [reply] = await h.answers(cmd.responseId);
    const incidentId = /`(leak-github-token-[0-9a-f]+)` started/.exec(reply!)?.[1];
    expect(incidentId).toBeDefined();
    started.push(incidentId!);
    return { incidentId: incidentId!, reply: reply!, responseId: cmd.responseId };
  }

  const parentOf = (incidentId: string) => h.slack.topLevel(CHANNEL).filter((m) => m.metadata?.event_payload.incidentId === incidentId);
  const click = (user: string, button: Record<string, any>, messageTs: string) => {
    const responseId = h.nextResponseId();
    return h.interact(buttonClick({ user, button, messageTs, responseUrl: h.slack.responseUrl(responseId) })).then((r) => ({ ...r, responseId }));
  };
  /** Everything the local Slack was sent: API calls, response_url posts, stored messages. */
  const recorded = () => JSON.stringify([h.slack.calls, h.slack.responses, h.slack.messages]);

  return {
    h,
    vault,
    reportToken,
    parentOf,
    click,
    recorded,
    async stop() {
      // Incidents left waiting for a person would otherwise sit on the dev server for the rest of the run.
      for (const id of started) await client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      await worker.stop();
      await h.stop();
    },
  };
}

test('a GitHub PAT pasted into the report form: kept in the vault, named by its hash, revoked by the worker, never echoed', async () => {
  const pat = classicToken();
  github.addToken(pat, { login: 'octocat-report', kind: 'classic-pat', scopes: ['repo'] });
  const revokesBefore = github.count('POST', '/credentials/revoke');
  const t = await slackWithGitHub('slack-gh-report', 'octocat-report');
  try {
    const { incidentId, reply } = await t.reportToken(pat);
    expect(reply).toContain(`Incident \`${incidentId}\` started`);
    expect(reply).toContain('The token you pasted identified it; it was put in the vault and is not repeated anywhere.');
    expect(reply).not.toContain(pat);

    // The incident knows the token only by its hash; the vault holds the token under the handle derived from it.
    const s: IncidentState = await client.workflow.getHandle(incidentId).query(statusQuery);
    expect(s.input).toMatchObject({ provider: 'github-token', credentialId: secretId(pat), requestedBy: `slack:${REPORTER}`, exposure: { source: 'slack', repository: REPO } });
    expect(s.input.credentialId).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(s)).not.toContain(pat);
    expect((await t.vault.get(leakedHandle('github-token', s.input.credentialId)))?.secret).toBe(pat);

    // The worker's GitHub provider read it from that vault: it identified the owner, revoked the token
    // once, and now waits for a person to create the replacement (GitHub has no API for that).
    const waiting = await waitForState(client, incidentId, (x) => x.waiting.some((w) => w.kind === 'manual'));
    expect(waiting.waiting).toEqual([expect.objectContaining({ kind: 'manual', phase: 'regenerate' })]);
    expect(waiting.waiting[0]!.reason).toMatch(/personal access token/i);
    expect(github.count('POST', '/credentials/revoke') - revokesBefore).toBe(1);
    expect(JSON.stringify(waiting)).not.toContain(pat);

    // The thread the notifier opened says it waits; nothing Slack was sent contains the token.
    await eventually(async () => (t.parentOf(incidentId).length === 1 ? true : undefined), 15_000, 'the incident thread');
    expect(t.recorded()).not.toContain(pat);
  } finally {
    await t.stop();
  }
});

test('Done on the manual regenerate step asks for the replacement in a modal; approvers only; it is verified and stored', async () => {
  const pat = classicToken();
  const replacement = classicToken();
  github.addToken(pat, { login: 'octocat-done', kind: 'classic-pat', scopes: ['repo'] });
  const t = await slackWithGitHub('slack-gh-done', 'octocat-done');
  const { h } = t;
  try {
    const { incidentId } = await t.reportToken(pat);
    await waitForState(client, incidentId, (x) => x.waiting.some((w) => w.kind === 'manual' && w.phase === 'regenerate'));

    // The Done button exactly as the notifier rendered it on the thread's status message.
    const { parent, done } = await eventually(
      async () => {
        const [p] = t.parentOf(incidentId);
        const buttons: any[] = (p?.blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements);
        const d = buttons.find((b) => String(b.action_id).startsWith('leakstop_done'));
        return p && d ? { parent: p, done: d } : undefined;
      },
      30_000,
      `the Done button of ${incidentId}`,
    );
    const replacementForms = () => h.slack.callsOf('views.open').filter((a) => a.view?.callback_id === 'leakstop_replacement');

    // Someone who is not an approver: refused, recorded, no form, and the step still waits.
    const stranger = await t.click(STRANGER, done, parent.ts);
    expect(stranger.status).toBe(200);
    expect((await h.answers(stranger.responseId))[0]).toMatch(/^Sorry, you are not allowed to .+\. Ask a Leakstop approver; this attempt was recorded\.$/);
    expect(h.refused).toEqual([{ incidentId, who: `slack:${STRANGER}`, what: expect.stringMatching(/done$/) }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(replacementForms()).toEqual([]);
    expect((await client.workflow.getHandle(incidentId).query(statusQuery)).waiting).toEqual([expect.objectContaining({ kind: 'manual', phase: 'regenerate' })]);

    // An approver: Done opens the replacement form (it does not mark the step done by itself).
    const clicked = await t.click(APPROVER, done, parent.ts);
    expect(clicked.status).toBe(200);
    // Whichever comes first: the form, or an answer to the click (the form path answers only after the submission).
    const clickAnswers = () => h.slack.responses.filter((r) => r.id === clicked.responseId).map((r) => String(r.body.text));
    await eventually(async () => replacementForms()[0] ?? (clickAnswers().length ? true : undefined), 10_000, 'the replacement form');
    expect(clickAnswers()).toEqual([]);
    const opened = replacementForms()[0]!;
    expect(opened.trigger_id).toBeTruthy();
    expect(opened.view.private_metadata).toContain(incidentId);
    const secretValues = (value: string) => ({ secret: { secret: { type: 'plain_text_input', value } } });

    // A stranger cannot hand over a replacement through a form opened by someone else; a too-short value is no credential.
    const late = await h.interact(viewSubmission(opened.view, secretValues(replacement), STRANGER));
    expect(late.json).toEqual({ response_action: 'errors', errors: { secret: expect.stringMatching(/not allowed to complete manual steps/) } });
    const short = await h.interact(viewSubmission(opened.view, secretValues('too-short')));
    expect(short.json).toEqual({ response_action: 'errors', errors: { secret: 'That is too short to be a credential.' } });
    expect((await client.workflow.getHandle(incidentId).query(statusQuery)).waiting).toHaveLength(1);

    // The person created the replacement on GitHub (same owner) and pastes it into the form.
    github.addToken(replacement, { login: 'octocat-done', kind: 'classic-pat', scopes: ['repo'] });
    const submitted = await h.interact(viewSubmission(opened.view, secretValues(replacement)));
    expect(submitted).toMatchObject({ status: 200, body: '' });
    const [answer] = await h.answers(clicked.responseId);
    expect(answer).toMatch(/^:white_check_mark: /);
    expect(answer).not.toContain(replacement);

    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('completed');
    expect(s.verification).toMatchObject({ newWorks: true, oldDisabled: true });
    expect(s.newCredential?.id).toBe(secretId(replacement));
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'regenerate', by: `slack:${APPROVER}` }));
    expect(github.decryptSecret({ repository: REPO }, 'CI_TOKEN')).toBe(replacement);
    expect(JSON.stringify(s)).not.toContain(pat);
    expect(JSON.stringify(s)).not.toContain(replacement);

    // The thread's status ends completed; neither token was ever sent to Slack.
    await eventually(async () => (JSON.stringify(t.parentOf(incidentId)[0]!.blocks).includes('completed') ? true : undefined), 10_000, 'the final status');
    const everything = t.recorded();
    expect(everything).not.toContain(pat);
    expect(everything).not.toContain(replacement);
  } finally {
    await t.stop();
  }
});
