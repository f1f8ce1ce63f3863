import { LogLevel } from '@slack/web-api';
import type { Client } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { notifierClient, SlackNotifier } from '../../providers/slack/notifier';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { statusQuery } from '../../workflows/definitions';
import { eventually, leakedKey, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { keysOf, leakInput, standardInventory, waitForState } from '../support/fixtures';
import { APPROVER, APPROVERS_GROUP, buttonClick, CHANNEL, REPORTER, reportValues, SlackHarness, STRANGER, viewSubmission } from './harness';

// Whole incidents driven from Slack, on the real Temporal dev server, worker and moto: the report
// form starts the incident, the worker's SlackNotifier keeps its thread, and the thread's buttons
// are how people answer it.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

async function slackIncident(name: string, policy: string) {
  const leak = await leakedKey(name);
  const taskQueue = uniqueQueue(name);
  const h = await new SlackHarness().start(client, taskQueue);
  const notifier = new SlackNotifier(notifierClient('xoxb-test-token', { slackApiUrl: h.slack.apiUrl, logLevel: LogLevel.ERROR }), CHANNEL, { escalate: APPROVERS_GROUP });
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy }), notifier });
  const parentOf = (incidentId: string) => h.slack.topLevel(CHANNEL).filter((m) => m.metadata?.event_payload.incidentId === incidentId);
  /** The thread's current buttons, once the status message shows `ready`. */
  const buttonsWhen = (incidentId: string, ready: (buttonTexts: string[]) => boolean) =>
    eventually(async () => {
      const [parent] = parentOf(incidentId);
      const buttons: any[] = (parent?.blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements);
      return parent && ready(buttons.map((b) => b.text.text)) ? { parent, buttons } : undefined;
    }, 30_000, `the thread of ${incidentId}`);
  const click = (user: string, button: Record<string, any>, messageTs: string) => {
    const responseId = h.nextResponseId();
    return h.interact(buttonClick({ user, button, messageTs, responseUrl: h.slack.responseUrl(responseId) })).then((r) => ({ ...r, responseId }));
  };
  return {
    leak,
    h,
    parentOf,
    buttonsWhen,
    click,
    async stop() {
      await worker.stop();
      await h.stop();
    },
  };
}

test('report from Slack, follow the thread, approve revoke with its button: the incident completes', async () => {
  const t = await slackIncident('slack-e2e', '{ approvals: [revoke] }');
  const { h, leak } = t;
  try {
    // /leakstop report → the form → a valid submission starts the incident.
    const cmd = await h.command(`report ${leak.keyId}`, REPORTER);
    expect(cmd.status).toBe(200);
    const opened = await eventually(async () => h.slack.callsOf('views.open')[0], 10_000, 'the report form');
    expect(opened.trigger_id).toBeTruthy();
    const submitted = await h.interact(
      viewSubmission(opened.view, reportValues({ credential: leak.keyId, where: 'https://github.com/acme/api/commit/4f9c2e0', public: true }), REPORTER),
    );
    expect(submitted).toMatchObject({ status: 200, body: '' });
    const [started] = await h.answers(cmd.responseId);
    const incidentId = /`(leak-aws-[0-9a-f]{16})` started/.exec(started!)?.[1];
    expect(incidentId).toBeDefined();
    const id = incidentId!;

    // A Slack report is not proof of a leak: the thread says so, and containment waits for an approver.
    const held = await t.buttonsWhen(id, (texts) => texts.includes('Approve contain'));
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
    expect(h.slack.repliesTo(CHANNEL, held.parent.ts).map((r) => r.text ?? '').join('\n') + JSON.stringify(held.parent.blocks)).toMatch(/a report from slack is not proof of a leak, so contain waits for an approver/);
    const containNow = await t.click(APPROVER, held.buttons.find((b) => b.text.text === 'Approve contain'), held.parent.ts);
    expect((await h.answers(containNow.responseId))[0]).toBe(':white_check_mark: contain approved');

    // The worker's notifier opened the thread; it now waits for revoke's approval.
    const { parent, buttons } = await t.buttonsWhen(id, (texts) => texts.includes('Approve revoke'));
    expect(buttons.map((b) => b.text.text)).toEqual(['Approve revoke', 'Abort incident']);

    // Status and list from the slash command.
    const status = await h.command(`status ${id}`, REPORTER);
    expect((await h.answers(status.responseId))[0]).toMatch(new RegExp(`${id}\`\\*: waiting, phase revoke`));
    await eventually(async () => {
      const list = await h.command('list', REPORTER);
      return (await h.answers(list.responseId))[0]!.includes(id) || undefined;
    }, 15_000, 'the incident in /leakstop list');

    // Someone who is not an approver: refused, recorded, and the incident still waits.
    const approve = buttons.find((b) => b.text.text === 'Approve revoke');
    const stranger = await t.click(STRANGER, approve, parent.ts);
    expect(stranger.status).toBe(200);
    expect((await h.answers(stranger.responseId))[0]).toBe('Sorry, you are not allowed to approve revoke. Ask a Leakstop approver; this attempt was recorded.');
    expect(h.refused).toEqual([{ incidentId: id, who: `slack:${STRANGER}`, what: 'approve revoke' }]);
    expect((await client.workflow.getHandle(id).query(statusQuery)).waiting).toEqual([expect.objectContaining({ kind: 'approval', phase: 'revoke' })]);

    // A stale button (a phase no longer waiting): the workflow's validator says why, to the clicker only.
    const stale = await t.click(APPROVER, { ...approve, value: JSON.stringify({ incidentId: id, phase: 'regenerate' }) }, parent.ts);
    expect((await h.answers(stale.responseId))[0]).toBe('approve regenerate was refused: phase: "regenerate" is not waiting for approval');

    // An approver (a member of the approvers' user group) approves.
    const approved = await t.click(APPROVER, approve, parent.ts);
    expect((await h.answers(approved.responseId))[0]).toBe(':white_check_mark: revoke approved');

    const s: IncidentState = await client.workflow.getHandle(id).result();
    expect(s.status).toBe('completed');
    expect(s.input).toMatchObject({ requestedBy: `slack:${REPORTER}`, exposure: { source: 'slack', public: true, url: 'https://github.com/acme/api/commit/4f9c2e0', repository: 'acme/api' } });
    expect(s.timeline).toContainEqual(expect.objectContaining({ phase: 'revoke', event: 'approved', by: `slack:${APPROVER}` }));
    expect(await keysOf(leak.user)).toEqual([{ id: s.newCredential!.id, status: 'Active' }]);

    // One thread: its status message ends completed without buttons; the replies tell the story.
    await eventually(async () => (JSON.stringify(t.parentOf(id)[0]!.blocks).includes('completed') ? true : undefined), 10_000, 'the final status');
    expect(t.parentOf(id)).toHaveLength(1);
    expect(t.parentOf(id)[0]!.blocks!.some((b) => b.type === 'actions')).toBe(false);
    const replies = h.slack.repliesTo(CHANNEL, parent.ts).map((r) => r.text ?? '');
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.stringContaining('*contain*: contained'),
        expect.stringMatching(/<!subteam\^S0APPROVERS> \*revoke\*: approval needed/),
        `<@${APPROVER}> approved revoke`,
        expect.stringMatching(new RegExp(`\\*post-mortem\\*: incident completed; post-mortem: .*${id}\\.md`)),
      ]),
    );
    expect(new Set(replies).size).toBe(replies.length);
    // The leaked secret never went anywhere near Slack.
    expect(JSON.stringify([h.slack.calls, h.slack.responses])).not.toContain(leak.secret);
  } finally {
    await t.stop();
  }
});

test('abort from the thread asks why, and the incident stops with the reason on record', async () => {
  const t = await slackIncident('slack-abort', '{ approvals: [regenerate] }');
  const { h, leak } = t;
  try {
    const { incidentId } = await h.control.report(leakInput(leak.keyId, { requestedBy: 'scanner' }), 'authoritative');
    const { parent, buttons } = await t.buttonsWhen(incidentId, (texts) => texts.includes('Approve regenerate'));
    const abort = buttons.find((b) => b.text.text === 'Abort incident');

    const refused = await t.click(STRANGER, abort, parent.ts);
    expect((await h.answers(refused.responseId))[0]).toMatch(/not allowed to abort incidents/);
    expect(h.refused).toEqual([{ incidentId, who: `slack:${STRANGER}`, what: 'abort the incident' }]);
    expect(h.slack.callsOf('views.open')).toEqual([]);

    const clicked = await t.click(APPROVER, abort, parent.ts);
    const opened = await eventually(async () => h.slack.callsOf('views.open')[0], 10_000, 'the abort form');
    expect(opened.view.callback_id).toBe('leakstop_abort');
    const empty = await h.interact(viewSubmission(opened.view, { reason: { reason: { type: 'plain_text_input', value: '  ' } } }));
    expect(empty.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why the incident is aborted.' } });
    const submitted = await h.interact(viewSubmission(opened.view, { reason: { reason: { type: 'plain_text_input', value: 'false positive: test key' } } }));
    expect(submitted).toMatchObject({ status: 200, body: '' });
    expect((await h.answers(clicked.responseId))[0]).toBe(':white_check_mark: aborting');

    const s: IncidentState = await client.workflow.getHandle(incidentId).result();
    expect(s.status).toBe('aborted');
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'aborted: false positive: test key', by: `slack:${APPROVER}` }));
    await waitForState(client, incidentId, (x) => x.status === 'aborted');
    await eventually(async () => (h.slack.repliesTo(CHANNEL, parent.ts).some((r) => r.text?.includes('incident aborted')) ? true : undefined), 10_000, 'the finished reply');
    expect(t.parentOf(incidentId)).toHaveLength(1);
  } finally {
    await t.stop();
  }
});
