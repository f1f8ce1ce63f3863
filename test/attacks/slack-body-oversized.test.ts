import type { Client } from '@temporalio/client';
import { eventually, scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { APPROVER, SIGNING_SECRET } from '../slack/harness';
import { commandBody, sendSigned } from '../slack/signed-request';
import { SlackApiServer } from '../slack/slack-api-server';
import { startIngress, type Ingress } from '../webhooks/harness';

// The attacker, who has no signing secret, posts large bodies to /slack/events: every byte is held
// in memory until the signature can be checked, so the ingress must refuse them before reading them.

let client: Client;
const slack = new SlackApiServer();
useTemporal((c) => (client = c), slack);

let ingress: Ingress;
const consoleLines: string[] = [];
beforeAll(async () => {
  for (const level of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  const env = {
    LEAKSTOP_DATA_DIR: scratchDir('slack-body'),
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    LEAKSTOP_SLACK_CHANNEL: 'C0INCIDENTS',
    LEAKSTOP_SLACK_APPROVERS: 'U0APPROVER',
  };
  ingress = await startIngress({ client, taskQueue: uniqueQueue('slack-body'), env, slackApiUrl: slack.apiUrl });
});
afterAll(async () => {
  await ingress.close();
  jest.restoreAllMocks();
});

const MiB = 1024 * 1024;
const forged = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': `v0=${'0'.repeat(64)}` };
/** Bolt logs this once it has read a body and checked its signature. */
const boltRead = /Failed to parse and verify/;

test('an unsigned 1 MiB body with its length is refused with 413 before Bolt reads it', async () => {
  const res = await fetch(ingress.url('/slack/events'), { method: 'POST', body: `text=${'x'.repeat(MiB)}`, headers: forged });

  expect(res.status).toBe(413);
  expect(await res.json()).toEqual({ error: expect.stringMatching(/^body larger than \d+ bytes$/) });
  expect([...ingress.logs, ...consoleLines].join('\n')).not.toMatch(boltRead);
});

test('an unsigned 1 MiB body sent in chunks without a length is refused with 413 too', async () => {
  const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
  let sent = 0;
  const stream = new ReadableStream({
    pull(controller) {
      if (sent >= MiB) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(ingress.url('/slack/events'), { method: 'POST', body: stream, headers: forged, duplex: 'half' } as RequestInit);

  expect(res.status).toBe(413);
  expect([...ingress.logs, ...consoleLines].join('\n')).not.toMatch(boltRead);
});

test('a signed slash command still reaches Bolt', async () => {
  const body = commandBody({ command: '/leakstop', text: 'help', userId: APPROVER, channelId: 'C0INCIDENTS', responseUrl: slack.responseUrl('help') });
  const reply = await sendSigned(ingress.url('/slack/events'), body, { secret: SIGNING_SECRET });

  expect(reply.status).toBe(200);
  await eventually(async () => slack.responses.find((r) => r.id === 'help'), 15_000, 'the help text');
});
