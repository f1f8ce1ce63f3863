import { LogLevel, WebClient } from '@slack/web-api';
import type { Waiting } from '../../domain/incident';
import { decodeButton } from '../../providers/slack/actions';
import { eventKey, notifierClient, SlackNotifier } from '../../providers/slack/notifier';
import type { IncidentEvent, IncidentSnapshot } from '../../providers/types';
import { SlackApiServer } from './slack-api-server';

// The notifier against a local Slack: one thread per incident, its status message edited in place,
// and no duplicate however often Temporal retries a notification or which worker retries it.

const CHANNEL = 'C0INCIDENTS';
const slack = new SlackApiServer();
beforeAll(() => slack.start());
afterAll(() => slack.stop());

// ERROR: the lost answers below are on purpose; the client's warnings about them are noise here.
const client = () => notifierClient('xoxb-test', { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });

const snapshot = (o: Partial<IncidentSnapshot> = {}): IncidentSnapshot => ({
  status: 'running',
  phase: 'triage',
  provider: 'aws-iam',
  credential: 'AKIA…MPLE',
  severity: 'high',
  waiting: [],
  ...o,
});
const event = (incidentId: string, o: Omit<Partial<IncidentEvent>, 'snapshot'> & { snapshot?: Partial<IncidentSnapshot> } = {}): IncidentEvent => ({
  incidentId,
  phase: 'triage',
  kind: 'started',
  message: 'triage started',
  ...o,
  snapshot: snapshot({ phase: o.phase ?? 'triage', ...o.snapshot }),
});
const waiting = (o: Partial<Waiting>): Waiting => ({ kind: 'approval', phase: 'revoke', step: 'revoke', reason: 'revoke needs approval', since: '2030-01-01T00:00:00.000Z', options: ['approve'], ...o });

const parentsOf = (incidentId: string) => slack.topLevel(CHANNEL).filter((m) => m.metadata?.event_payload.incidentId === incidentId);
const buttons = (blocks: any[] | undefined) => (blocks ?? []).filter((b) => b.type === 'actions').flatMap((b) => b.elements);

test('one thread per incident: the status message is edited in place, important events are replies', async () => {
  const n = new SlackNotifier(client(), CHANNEL, { escalate: 'S0ONCALL' });
  const id = 'leak-aws-1111111111111111';
  await n.notify(event(id));
  await n.notify(event(id, { phase: 'contain', message: 'contain started', snapshot: { owner: 'svc-billing' } }));
  await n.notify(event(id, { phase: 'contain', kind: 'done', message: 'contained: set AKIAIOSFODNN7EXAMPLE inactive', snapshot: { owner: 'svc-billing' } }));
  await n.notify(event(id, { phase: 'revoke', kind: 'waiting', message: 'approval needed: revoke needs approval (approve)', snapshot: { status: 'waiting', owner: 'svc-billing', waiting: [waiting({})] } }));
  await n.notify(event('leak-aws-2222222222222222'));

  const [parent, ...more] = parentsOf(id);
  expect(more).toEqual([]);
  expect(parentsOf('leak-aws-2222222222222222')).toHaveLength(1);
  expect(parent!.metadata).toEqual({ event_type: 'leakstop_incident', event_payload: { incidentId: id, eventKey: expect.any(String) } });
  expect(slack.callsOf('chat.update').filter((u) => u.ts === parent!.ts)).toHaveLength(3);
  expect(JSON.stringify(parent!.blocks)).toContain('svc-billing');
  expect(JSON.stringify(parent!.blocks)).toContain('waiting for a person');

  // Replies: contain done and the wait (mentioning the escalation group); "started" only edits the parent.
  const replies = slack.repliesTo(CHANNEL, parent!.ts);
  expect(replies.map((r) => r.text)).toEqual([
    expect.stringContaining('*contain*: contained: set AKIA…MPLE inactive'),
    expect.stringMatching(/^:raising_hand: <!subteam\^S0ONCALL> \*revoke\*: approval needed/),
  ]);
  expect(replies.every((r) => r.metadata?.event_type === 'leakstop_event' && r.metadata.event_payload.incidentId === id)).toBe(true);
  // The redaction net: the full key id in the message never reached Slack.
  expect(JSON.stringify(slack.calls)).not.toContain('AKIAIOSFODNN7EXAMPLE');

  // Approve and Abort buttons while it waits.
  const [approve, abort] = buttons(parent!.blocks);
  expect(approve).toMatchObject({ action_id: 'leakstop_approve:0', text: { text: 'Approve revoke' } });
  expect(decodeButton(approve.value)).toEqual({ incidentId: id, phase: 'revoke' });
  expect(abort).toMatchObject({ action_id: 'leakstop_abort:1', style: 'danger' });

  // Finished: the parent keeps no buttons, the reply carries the post-mortem.
  await n.notify(event(id, { phase: 'post-mortem', kind: 'finished', message: 'incident completed; post-mortem: /reports/x.md', snapshot: { status: 'completed', postMortemUrl: '/reports/x.md' } }));
  expect(buttons(parentsOf(id)[0]!.blocks)).toEqual([]);
  expect(slack.repliesTo(CHANNEL, parent!.ts).at(-1)!.text).toContain('post-mortem: /reports/x.md');
});

test('a decision renders only the options offered, each button unique', async () => {
  const n = new SlackNotifier(client(), CHANNEL);
  const id = 'leak-aws-3333333333333333';
  const w = [
    waiting({ kind: 'decision', phase: 'redeploy', step: 'redeploy api', reason: 'answered 404', options: ['retry', 'skip', 'abort'] }),
    waiting({ kind: 'decision', phase: 'post-mortem', step: 'write report', reason: 'disk full', options: ['retry', 'skip'] }),
    waiting({ kind: 'manual', phase: 'regenerate', step: 'create replacement', reason: 'create a token', options: ['done', 'abort'] }),
  ];
  await n.notify(event(id, { phase: 'redeploy', kind: 'waiting', message: 'decision needed', snapshot: { status: 'waiting', waiting: w } }));
  const all = buttons(parentsOf(id)[0]!.blocks);
  expect(all.map((b: any) => b.text.text)).toEqual([
    'Retry redeploy api',
    'Skip redeploy api',
    'Abort redeploy api',
    'Retry write report',
    'Skip write report',
    'Done: create replacement',
    'Abort incident',
  ]);
  expect(new Set(all.map((b: any) => b.action_id)).size).toBe(all.length);
  expect(decodeButton(all[1].value)).toEqual({ incidentId: id, step: 'redeploy api', decision: 'skip' });
  expect(decodeButton(all[5].value)).toEqual({ incidentId: id, phase: 'regenerate', step: 'create replacement' }); // Done on regenerate asks for the replacement
});

test('a repeated notification posts nothing new, even when the answer was lost or another worker retries', async () => {
  const id = 'leak-aws-4444444444444444';
  const first = new SlackNotifier(client(), CHANNEL);
  const posts = () => slack.callsOf('chat.postMessage').filter((c) => c.metadata?.event_payload?.incidentId === id).length;

  // Slack creates the thread, but the worker never hears back (crash, network): the notify fails.
  slack.loseNextAnswer.add('chat.postMessage');
  await expect(first.notify(event(id))).rejects.toThrow();
  expect(parentsOf(id)).toHaveLength(1);
  // Temporal retries it, here on another worker with nothing cached.
  await new SlackNotifier(client(), CHANNEL).notify(event(id));
  expect(parentsOf(id)).toHaveLength(1);

  const done = event(id, { phase: 'contain', kind: 'done', message: 'contained: set AKIA…MPLE inactive' });
  slack.loseNextAnswer.add('chat.postMessage');
  await expect(first.notify(done)).rejects.toThrow();
  await first.notify(done);
  await new SlackNotifier(client(), CHANNEL).notify(done);
  await first.notify(done);
  expect(posts()).toBe(2);
  expect(slack.repliesTo(CHANNEL, parentsOf(id)[0]!.ts)).toHaveLength(1);

  // The same wait again after a retry failed once more is news, and is told again.
  const wait = (since: string) =>
    event(id, { phase: 'redeploy', kind: 'waiting', message: 'decision needed: answered 404', snapshot: { status: 'waiting', waiting: [waiting({ kind: 'decision', since })] } });
  expect(eventKey(wait('2030-01-01T00:00:00.000Z'))).toBe(eventKey(wait('2030-01-01T00:00:00.000Z')));
  await first.notify(wait('2030-01-01T00:00:00.000Z'));
  await first.notify(wait('2030-01-01T00:00:00.000Z'));
  await first.notify(wait('2030-01-01T00:05:00.000Z'));
  expect(slack.repliesTo(CHANNEL, parentsOf(id)[0]!.ts)).toHaveLength(3);
});

test("finds an incident's thread beyond the first page of channel history", async () => {
  const id = 'leak-aws-5555555555555555';
  await new SlackNotifier(client(), CHANNEL).notify(event(id));
  const chatter = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl });
  for (let i = 0; i < 230; i++) await chatter.chat.postMessage({ channel: CHANNEL, text: `unrelated ${i}` });

  await new SlackNotifier(client(), CHANNEL).notify(event(id, { phase: 'contain', kind: 'done', message: 'contained' }));
  expect(parentsOf(id)).toHaveLength(1);
  expect(slack.repliesTo(CHANNEL, parentsOf(id)[0]!.ts)).toHaveLength(1);
  expect(slack.callsOf('conversations.history').at(-1)!.cursor).toBeTruthy();
});

test('parallel phases notifying at once still make one thread', async () => {
  const id = 'leak-aws-6666666666666666';
  const n = new SlackNotifier(client(), CHANNEL);
  await Promise.all([
    n.notify(event(id, { phase: 'contain', message: 'contain started' })),
    n.notify(event(id, { phase: 'blast-radius', message: 'blast-radius started' })),
    n.notify(event(id, { phase: 'contain', kind: 'done', message: 'contained' })),
  ]);
  expect(parentsOf(id)).toHaveLength(1);
});
