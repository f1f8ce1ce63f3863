import { catalog } from '../../providers';
import { randomInt } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import { temporalClient, uniqueQueue } from '../support/env';
import { APPROVER, REPORTER, SlackHarness, STRANGER, reportValues, viewSubmission } from './harness';
import { commandBody, sendSigned } from './signed-request';

// The Slack trigger's front door, on the real Temporal client: Bolt's signature check, the slash
// command, and the report form's validation. Nothing here may start an incident.

let client: Client;
let close: () => Promise<void>;
const h = new SlackHarness();
beforeAll(async () => {
  ({ client, close } = await temporalClient());
  await h.start(client, uniqueQueue('slack-receiver'));
});
afterAll(async () => {
  await h.stop();
  await close();
});

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const freshKeyId = () => `AKIA${Array.from({ length: 16 }, () => BASE32[randomInt(32)]).join('')}`;
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

async function expectNoIncident(keyId: string) {
  await expect(client.workflow.getHandle(incidentIdFor('aws-iam', keyId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

/** Opens the report form as a reporter and returns the view Slack was asked to show. */
async function openReportForm(text = 'report') {
  const before = h.slack.callsOf('views.open').length;
  const r = await h.command(text, REPORTER);
  expect(r.status).toBe(200);
  const opened = await waitFor(() => h.slack.callsOf('views.open')[before]);
  return { view: opened.view, responseId: r.responseId };
}

async function waitFor<T>(get: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a forged signature and a stale timestamp are rejected with 401, and nothing starts', async () => {
  const keyId = freshKeyId();
  const { view } = await openReportForm();
  const submission = viewSubmission(view, reportValues({ credential: keyId }), REPORTER);
  const calls = h.slack.calls.length;

  const forged = await h.interact(submission, { signature: `v0=${'0'.repeat(64)}` });
  const staleAt = Math.floor(Date.now() / 1000) - 6 * 60;
  // Signed correctly for its timestamp: only its age fails it (a replay).
  const stale = await h.interact(submission, { timestamp: staleAt });
  const otherSecret = await sendSigned(h.url, commandBody({ command: '/leakstop', text: 'help', userId: REPORTER, channelId: 'C1', responseUrl: h.slack.responseUrl('forged') }), { secret: 'f'.repeat(32) });
  expect([forged.status, stale.status, otherSecret.status]).toEqual([401, 401, 401]);

  await new Promise((r) => setTimeout(r, 300));
  expect(h.slack.calls.length).toBe(calls);
  expect(h.slack.responses.filter((r) => r.id === 'forged')).toEqual([]);
  await expectNoIncident(keyId);
});

test('help, and an unknown verb, answer with the usage, ephemerally', async () => {
  const r = await h.command('help', STRANGER);
  expect(r.status).toBe(200);
  const [text] = await h.answers(r.responseId);
  expect(text).toContain('/leakstop report');
  expect(text).toContain('/leakstop status');
  expect(text).toContain('/leakstop list');
  expect(h.slack.responses.find((x) => x.id === r.responseId)!.body.response_type).toBe('ephemeral');
  const other = await h.command('frobnicate');
  expect(await h.answers(other.responseId)).toEqual([text]);
});

test('status names what it cannot find and never echoes what it does not recognise', async () => {
  const missing = await h.command('status leak-aws-0000000000000000', REPORTER);
  expect((await h.answers(missing.responseId))[0]).toMatch(/leak-aws-0000000000000000.*does not exist/);
  const byKey = freshKeyId();
  const viaKey = await h.command(`status ${byKey}`, REPORTER);
  expect((await h.answers(viaKey.responseId))[0]).toContain(incidentIdFor('aws-iam', byKey));
  const garbage = await h.command('status drop-table-students', REPORTER);
  const [said] = await h.answers(garbage.responseId);
  expect(said).toBe('Give an incident id (leak-aws-…), an access key id (AKIA…) or a rotation run id (rotation-…).');
});

test('a secret pasted into the command is never repeated, and the form opens empty', async () => {
  const { responseId, view } = await openReportForm(`report ${AWS_SECRET}`);
  const [said] = await h.answers(responseId);
  expect(said).toContain("a secret was pasted and not stored; report the credential's id instead (AWS: the access key id (AKIA…)");
  expect(JSON.stringify(view)).not.toContain('wJalr');
  const status = await h.command(`status ghp_${'a1B2c3D4e5'.repeat(4)}`, REPORTER);
  expect((await h.answers(status.responseId))[0]).toMatch(/a secret was pasted and not stored/);
  expect(JSON.stringify(h.slack.responses)).not.toMatch(/wJalr|ghp_/);
  expect(JSON.stringify(h.slack.calls)).not.toMatch(/wJalr|ghp_/);
});

test('an invalid report comes back as field errors on the form and starts nothing', async () => {
  const keyId = freshKeyId();
  const { view, responseId } = await openReportForm(`report ${keyId}`);
  expect(view.blocks.find((b: any) => b.block_id === 'credential').element.initial_value).toBe(keyId);

  const bad = await h.interact(viewSubmission(view, reportValues({ provider: 'gcp', credential: keyId, where: 'somewhere on the internet' }), REPORTER));
  expect(bad.status).toBe(200);
  expect(bad.json).toEqual({
    response_action: 'errors',
    errors: { provider: `must be one of: ${catalog.kinds.join(', ')}`, where: 'give a URL (https://…) or a repository (owner/name)' },
  });

  const wrongId = await h.interact(viewSubmission(view, reportValues({ credential: 'AKIA-not-a-key', where: 'https://example.com/paste/1' }), REPORTER));
  expect(wrongId.json).toEqual({ response_action: 'errors', errors: { credential: expect.stringMatching(/must be an AWS access key id/) } });

  const pasted = await h.interact(viewSubmission(view, reportValues({ credential: AWS_SECRET }), REPORTER));
  expect(pasted.json).toEqual({ response_action: 'errors', errors: { credential: expect.stringMatching(/^a secret was pasted and not stored; report the credential's id instead \(AWS: the access key id/) } });
  expect(pasted.body).not.toContain('wJalr');

  const alertUrl = await h.interact(viewSubmission(view, reportValues({ credential: 'https://github.com/acme/api/security/secret-scanning/1' }), REPORTER));
  expect(alertUrl.json.errors.credential).toMatch(/alert URL is not supported yet/);

  await new Promise((r) => setTimeout(r, 300));
  expect(h.slack.responses.filter((r) => r.id === responseId)).toEqual([]);
  await expectNoIncident(keyId);
});

test('someone who may not report is refused politely, the attempt is recorded, and no form opens', async () => {
  const opened = h.slack.callsOf('views.open').length;
  const r = await h.command('report', STRANGER);
  expect((await h.answers(r.responseId))[0]).toBe('Sorry, you are not allowed to report incidents. Ask a Leakstop approver; this attempt was recorded.');
  expect(h.refused).toContainEqual({ incidentId: undefined, who: `slack:${STRANGER}`, what: 'report an incident' });
  expect(h.slack.callsOf('views.open')).toHaveLength(opened);

  // A form opened earlier does not help: the submission is checked again.
  const { view } = await openReportForm();
  const keyId = freshKeyId();
  const late = await h.interact(viewSubmission(view, reportValues({ credential: keyId }), STRANGER));
  expect(late.json).toEqual({ response_action: 'errors', errors: { credential: expect.stringMatching(/not allowed to report/) } });
  await expectNoIncident(keyId);
  // Approvers (here through their user group) may report too.
  const approver = await h.command('report', APPROVER);
  expect(approver.status).toBe(200);
  await waitFor(() => h.slack.callsOf('views.open')[opened + 1]);
});

test('requests to paths Bolt does not serve get a 404 from the mounted handler', async () => {
  const res = await fetch(h.url.replace('/slack/events', '/slack/nope'), { method: 'POST', body: 'x' });
  expect(res.status).toBe(404);
});
