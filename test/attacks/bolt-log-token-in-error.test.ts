import type { Client } from '@temporalio/client';
import type { IncidentControl } from '../../triggers/control';
import { eventually, scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { APPROVER, SIGNING_SECRET } from '../slack/harness';
import { commandBody, sendSigned } from '../slack/signed-request';
import { SlackApiServer } from '../slack/slack-api-server';
import { startIngress, type Ingress } from '../webhooks/harness';

// A Slack handler fails with an error whose message holds a token (a provider echoing a credential,
// a URL with one in it). Bolt logs it: it must reach the log redacted, like everything else.

let client: Client;
const slack = new SlackApiServer();
useTemporal((c) => (client = c), slack);

const TOKEN = `ghp_${'A1b2C3d4E5'.repeat(3)}f6G7h8`;
const consoleLines: string[] = [];
let ingress: Ingress;

beforeAll(async () => {
  for (const level of ['debug', 'info', 'warn', 'error', 'log'] as const) {
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  // The incident list is where the handler fails; nothing else of IncidentControl is reached.
  const control = {
    listOpen: async () => {
      throw new Error(`upstream refused the request made with ${TOKEN}`);
    },
  } as unknown as IncidentControl;
  const env = {
    LEAKSTOP_DATA_DIR: scratchDir('bolt-log'),
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    LEAKSTOP_SLACK_CHANNEL: 'C0INCIDENTS',
    LEAKSTOP_SLACK_APPROVERS: 'U0APPROVER',
  };
  ingress = await startIngress({ client, taskQueue: uniqueQueue('bolt-log'), env, control, slackApiUrl: slack.apiUrl });
});
afterAll(async () => {
  await ingress.close();
  jest.restoreAllMocks();
});

test("a token in a Slack handler's error reaches the ingress log redacted, and nothing reaches the console", async () => {
  const body = commandBody({ command: '/leakstop', text: 'list', userId: APPROVER, channelId: 'C0INCIDENTS', responseUrl: slack.responseUrl('list') });
  expect((await sendSigned(ingress.url('/slack/events'), body, { secret: SIGNING_SECRET })).status).toBe(200);
  const written = () => [...ingress.logs, ...consoleLines].join('\n');
  await eventually(async () => /list failed/.test(written()) || undefined, 15_000, 'the handler failure to be logged');

  expect(consoleLines.join('\n')).not.toContain(TOKEN);
  const line = ingress.logs.find((l) => l.includes('list failed'));
  expect(line).toContain('ghp_…[redacted]');
  expect(line).not.toContain(TOKEN);
  expect(JSON.parse(line!)).toMatchObject({ level: 50 }); // pino's "error"
});
