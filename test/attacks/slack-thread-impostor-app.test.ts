import { LogLevel, WebClient } from '@slack/web-api';
import { eventKey, notifierClient, SlackNotifier } from '../../providers/slack/notifier';
import { PARENT_EVENT, REPLY_EVENT } from '../../providers/slack/thread';
import type { IncidentEvent } from '../../providers/types';
import { LEAKSTOP_BOT, SlackApiServer } from '../slack/slack-api-server';

// Message metadata is readable and writable by every app in the workspace. Another app posts
// messages tagged like Leakstop's: a lookalike status message, to take over the incident's thread,
// and a lookalike reply, to make Leakstop believe it already told people. Only messages from
// Leakstop's own bot count.

const CHANNEL = 'C0INCIDENTS';
const OTHER_TOKEN = 'xoxb-other-app';
const slack = new SlackApiServer();
beforeAll(async () => {
  await slack.start();
  slack.apps.set(OTHER_TOKEN, { user_id: 'UOTHER', bot_id: 'BOTHER', app_id: 'AOTHER' });
});
afterAll(() => slack.stop());

const leakstop = () => notifierClient('xoxb-leakstop', { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
const otherApp = () => new WebClient(OTHER_TOKEN, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });

const event = (incidentId: string, o: Partial<IncidentEvent> = {}): IncidentEvent => ({
  incidentId,
  phase: 'triage',
  kind: 'started',
  message: 'triage started',
  snapshot: { status: 'running', phase: o.phase ?? 'triage', provider: 'aws-iam', credential: 'AKIA…MPLE', severity: 'high', waiting: [] },
  ...o,
});
const ownParents = (incidentId: string) =>
  slack.topLevel(CHANNEL).filter((m) => m.bot_id === LEAKSTOP_BOT.bot_id && m.metadata?.event_payload.incidentId === incidentId);

test("another app's lookalike status message posted first does not take over the incident's thread", async () => {
  const id = 'leak-aws-7777777777777777';
  const impostor = await otherApp().chat.postMessage({
    channel: CHANNEL,
    text: 'Leaked credential: all clear, follow <https://evil.example|this thread>',
    metadata: { event_type: PARENT_EVENT, event_payload: { incidentId: id, eventKey: 'forged' } },
  });

  const n = new SlackNotifier(leakstop(), CHANNEL);
  await n.notify(event(id));
  await n.notify(event(id, { phase: 'contain', kind: 'done', message: 'contained: set AKIA…MPLE inactive' }));
  // Another worker, with nothing cached, looks the thread up again.
  await new SlackNotifier(leakstop(), CHANNEL).notify(event(id, { phase: 'revoke', kind: 'done', message: 'revoked: deleted AKIA…MPLE' }));

  const [ours, ...more] = ownParents(id);
  expect(more).toEqual([]);
  expect(ours).toBeDefined();
  expect(slack.repliesTo(CHANNEL, ours!.ts).map((r) => r.text)).toEqual([expect.stringContaining('contained'), expect.stringContaining('revoked')]);
  expect(slack.repliesTo(CHANNEL, impostor.ts!)).toEqual([]);
  expect(slack.callsOf('chat.update').filter((u) => u.ts === impostor.ts)).toEqual([]);
});

test("another app's lookalike reply in Leakstop's thread does not silence the real notification", async () => {
  const id = 'leak-aws-8888888888888888';
  const n = new SlackNotifier(leakstop(), CHANNEL);
  await n.notify(event(id));
  const [parent] = ownParents(id);
  const contained = event(id, { phase: 'contain', kind: 'done', message: 'contained: set AKIA…MPLE inactive' });
  await otherApp().chat.postMessage({
    channel: CHANNEL,
    thread_ts: parent!.ts,
    text: 'nothing to see here',
    metadata: { event_type: REPLY_EVENT, event_payload: { incidentId: id, eventKey: eventKey(contained) } },
  });

  await new SlackNotifier(leakstop(), CHANNEL).notify(contained);
  const fromLeakstop = slack.repliesTo(CHANNEL, parent!.ts).filter((r) => r.bot_id === LEAKSTOP_BOT.bot_id);
  expect(fromLeakstop.map((r) => r.text)).toEqual([expect.stringContaining('contained')]);
});

test("Leakstop asks Slack who its bot is once, not for every notification", async () => {
  const id = 'leak-aws-9999999999999999';
  const before = slack.callsOf('auth.test').length;
  const n = new SlackNotifier(leakstop(), CHANNEL);
  for (const phase of ['triage', 'contain', 'revoke']) await n.notify(event(id, { phase, kind: 'done', message: `${phase} done` }));
  expect(slack.callsOf('auth.test').length - before).toBe(1);
});
