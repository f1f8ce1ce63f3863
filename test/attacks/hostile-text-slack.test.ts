import type { KnownBlock } from '@slack/web-api';
import { parentBlocks, parentText, replyText } from '../../providers/slack/message';
import type { IncidentEvent, IncidentSnapshot } from '../../providers/types';

// The incident's Slack thread shows text the attacker chose (who reported it, notes, a hook's error
// body, a file name). In Slack's mrkdwn that text must not notify the channel or a person, carry a
// disguised link, or start a line of its own that looks like Leakstop's.

const HOSTILE = 'x\n:white_check_mark: *revoke*: revoked <!channel> <!here> @channel @here <@U123> <!subteam^S1> <http://evil.example|click> &lt;!channel&gt;';

const snapshot = (o: Partial<IncidentSnapshot> = {}): IncidentSnapshot => ({
  status: 'waiting',
  phase: 'redeploy',
  provider: 'aws-iam',
  credential: 'AKIA…MPLE',
  owner: `svc ${HOSTILE}`,
  severity: 'high',
  waiting: [
    { kind: 'decision', phase: 'redeploy', step: `redeploy ${HOSTILE}`, reason: `hook answered 400: ${HOSTILE}`, since: '2030-01-01T00:00:00.000Z', options: ['retry', 'skip', 'abort'] },
  ],
  ...o,
});
const event = (o: Partial<IncidentEvent> = {}): IncidentEvent => ({
  incidentId: 'leak-aws-0123456789abcdef',
  phase: 'redeploy',
  kind: 'waiting',
  message: `decision needed: hook answered 400: ${HOSTILE} (retry / skip / abort); reported by <!channel>`,
  snapshot: snapshot(),
  ...o,
});

/** Every mrkdwn text object in the blocks. */
function mrkdwn(blocks: KnownBlock[]): { text: string; verbatim?: boolean }[] {
  const out: { text: string; verbatim?: boolean }[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push({ text: o.text, verbatim: o.verbatim as boolean | undefined });
    Object.values(o).forEach(visit);
  };
  visit(blocks);
  return out;
}

/** What Slack would turn into a notification or a link: control sequences and the words it parses as mentions. */
function expectNoMentionOrLink(text: string) {
  expect(text).not.toMatch(/<[!@#]|<https?:/);
  expect(text).not.toMatch(/(^|[^\w])@(channel|here|everyone)\b/);
}

test('a reply with hostile text notifies nobody, links nowhere, and stays one line', () => {
  const text = replyText(event());
  expectNoMentionOrLink(text);
  expect(text.split('\n')).toHaveLength(1);
  // Shown literally, as Slack's escaping shows & < >.
  expect(text).toContain('&lt;!channel&gt;');
  expect(text).toContain('&amp;lt;!channel&amp;gt;');
});

test("a reply's own escalation mention is the only live one", () => {
  const text = replyText(event(), 'S0ONCALL');
  expect(text.match(/<[!@][^>]*>/g)).toEqual(['<!subteam^S0ONCALL>']);
});

test('the status message shows hostile owner, step and reason as text, without auto-parsing', () => {
  const blocks = parentBlocks('leak-aws-0123456789abcdef', snapshot());
  const texts = mrkdwn(blocks);
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expectNoMentionOrLink(t.text);
    // verbatim: Slack does not turn bare URLs, channel names or @here into links or mentions.
    expect(t).toMatchObject({ verbatim: true });
  }
  const waiting = texts.find((t) => t.text.startsWith('*Waiting for a person*'))!;
  expect(waiting.text.split('\n')).toHaveLength(2); // the heading and one line per wait
  expectNoMentionOrLink(parentText('leak-aws-0123456789abcdef', snapshot()));
});
