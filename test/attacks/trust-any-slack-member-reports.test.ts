import type { Client } from '@temporalio/client';
import { loadSlackConfig } from '../../triggers/slack/config';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { SlackHarness, APPROVER, STRANGER } from '../slack/harness';
import { leakedKey, startWorker, temporalClient, uniqueQueue } from '../support/env';
import { leakInput, report, standardInventory, waitForState } from '../support/fixtures';

// Finding 1, Slack's side: LEAKSTOP_SLACK_REPORTERS defaulted to everyone in the workspace, so any member
// could report any key id (and, with immediate containment, take it offline). Reporters now default to
// the approvers; and only approvers may tighten an incident from Slack.

let client: Client;
let close: () => Promise<void>;
const h = new SlackHarness();
const hook = new DeployHookServer();
const taskQueue = uniqueQueue('slack-trust');
beforeAll(async () => {
  ({ client, close } = await temporalClient());
  await hook.start();
  const config = loadSlackConfig({
    SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefABCDEF',
    SLACK_SIGNING_SECRET: '7d1f0b3c5e9a2468ace0135799bdf024',
    LEAKSTOP_SLACK_CHANNEL: 'C0INCIDENTS',
    LEAKSTOP_SLACK_APPROVERS: 'S0APPROVERS',
  })!;
  await h.start(client, taskQueue, { reporters: config.reporters });
});
afterAll(async () => {
  await h.stop();
  await hook.stop();
  await close();
});

test('with the default configuration a workspace member who is not an approver cannot report', async () => {
  const opened = h.slack.callsOf('views.open').length;
  const r = await h.command('report', STRANGER);
  expect((await h.answers(r.responseId))[0]).toMatch(/not allowed to report incidents/);
  expect(h.refused).toContainEqual({ incidentId: undefined, who: `slack:${STRANGER}`, what: 'report an incident' });
  expect(h.slack.callsOf('views.open')).toHaveLength(opened);
});

test('only an approver can tighten an incident from Slack; the attempt of anyone else is recorded', async () => {
  const leak = await leakedKey('slack-tighten');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: leak.user, tag: leak.user, hookUrl: hook.url, policy: '{ approvals: [regenerate] }' }) });
  try {
    const { incidentId } = await report(client, taskQueue, leakInput(leak.keyId));
    await waitForState(client, incidentId, (s) => s.waiting.some((w) => w.phase === 'regenerate'));

    const refused = await h.command(`tighten ${incidentId} revoke`, STRANGER);
    expect((await h.answers(refused.responseId))[0]).toMatch(/not allowed to tighten incidents/);
    expect(h.refused).toContainEqual({ incidentId, who: `slack:${STRANGER}`, what: 'tighten an incident' });

    const done = await h.command(`tighten ${incidentId} revoke`, APPROVER);
    expect((await h.answers(done.responseId))[0]).toBe(`\`${incidentId}\`: revoke will wait for an approver`);
    const s = await waitForState(client, incidentId, (st) => st.tightened.includes('revoke'));
    expect(s.timeline).toContainEqual(expect.objectContaining({ event: 'policy tightened: revoke now wait(s) for an approver', by: `slack:${APPROVER}` }));
    await client.workflow.getHandle(incidentId).terminate('test done');
  } finally {
    await worker.stop();
  }
});
