import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import type { IncidentControl } from '../../triggers/control';
import { controlFor } from '../support/env';
import { createSlackApp, SLACK_EVENTS_PATH, type SlackApp, type SlackAppOptions } from '../../triggers/slack/app';
import { SlackApiServer } from './slack-api-server';
import { commandBody, interactionBody, sendSigned, type SlackReply } from './signed-request';

// The Slack trigger as it runs for real: Bolt mounted on a node:http server (as the ingress does),
// its Web API client pointed at the local Slack, requests signed like Slack signs them.

export const SIGNING_SECRET = '7d1f0b3c5e9a2468ace0135799bdf024';
export const CHANNEL = 'C0INCIDENTS';
export const APPROVERS_GROUP = 'S0APPROVERS';
export const APPROVER = 'U0APPROVER';
export const STRANGER = 'U0STRANGER';
export const REPORTER = 'U0REPORTER';

export interface Refused {
  incidentId: string | undefined;
  who: string;
  what: string;
}

export class SlackHarness {
  readonly slack = new SlackApiServer();
  readonly refused: Refused[] = [];
  control!: IncidentControl;
  slackApp!: SlackApp;
  url = '';
  private server?: Server;
  private responses = 0;

  async start(client: Client, taskQueue: string, o: { reporters?: '*' | string[]; keepSecret?: SlackAppOptions['keepSecret'] } = {}): Promise<this> {
    await this.slack.start();
    this.slack.groups.set(APPROVERS_GROUP, [APPROVER]);
    this.control = controlFor(client, taskQueue);
    this.slackApp = await createSlackApp({
      config: { botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, command: '/leakstop', reporters: o.reporters ?? [REPORTER], approvers: [APPROVERS_GROUP] },
      control: this.control,
      clientOptions: { slackApiUrl: this.slack.apiUrl },
      onRefused: (incidentId, who, what) => void this.refused.push({ incidentId, who, what }),
      keepSecret: o.keepSecret,
      // The forged and stale requests are on purpose; Bolt's warnings about them are noise here.
      logLevel: LogLevel.ERROR,
    });
    this.server = createServer((req, res) => this.slackApp.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${SLACK_EVENTS_PATH}`;
    return this;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.slack.stop();
  }

  /** A fresh response_url id, so a test can find exactly the answers to one request. */
  nextResponseId() {
    return `r${++this.responses}`;
  }

  async command(text: string, user = APPROVER, responseId = this.nextResponseId()): Promise<SlackReply & { responseId: string }> {
    const body = commandBody({ command: '/leakstop', text, userId: user, channelId: CHANNEL, responseUrl: this.slack.responseUrl(responseId) });
    return { ...(await sendSigned(this.url, body, { secret: SIGNING_SECRET })), responseId };
  }

  interact(payload: Record<string, unknown>, signing: { timestamp?: number; signature?: string } = {}): Promise<SlackReply> {
    return sendSigned(this.url, interactionBody(payload), { secret: SIGNING_SECRET, ...signing });
  }

  /** The answers posted to one response_url, waiting for them (they follow the ack). */
  async answers(responseId: string, count = 1, timeoutMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const texts = this.slack.responses.filter((r) => r.id === responseId).map((r) => String(r.body.text));
      if (texts.length >= count) return texts;
      if (Date.now() > deadline) throw new Error(`expected ${count} answer(s) to ${responseId}, got ${JSON.stringify(texts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A view_submission as Slack sends it: the opened view, with the values the person entered. */
export function viewSubmission(view: Record<string, any>, values: Record<string, Record<string, unknown>>, user = APPROVER) {
  return {
    type: 'view_submission',
    team: { id: 'T0TEST', domain: 'leakstop-test' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    trigger_id: `trigger.${Date.now()}`,
    view: { id: 'V0TEST', team_id: 'T0TEST', app_id: 'A0TEST', bot_id: 'BBOT', hash: 'h', ...view, state: { values } },
    response_urls: [],
    is_enterprise_install: false,
  };
}

/** A button click on a message in the channel, as Slack sends it. */
export function buttonClick(o: { user: string; button: Record<string, any>; messageTs: string; responseUrl: string; channel?: string }) {
  return {
    type: 'block_actions',
    team: { id: 'T0TEST', domain: 'leakstop-test' },
    user: { id: o.user, username: o.user.toLowerCase(), name: o.user.toLowerCase(), team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel ?? CHANNEL, is_ephemeral: false },
    trigger_id: `trigger.${Date.now()}`,
    channel: { id: o.channel ?? CHANNEL, name: 'incidents' },
    message: { type: 'message', ts: o.messageTs, user: 'UBOT', bot_id: 'BBOT', text: 'incident' },
    response_url: o.responseUrl,
    actions: [{ type: 'button', block_id: 'leakstop_actions', action_id: o.button.action_id, value: o.button.value, text: o.button.text, action_ts: `${Date.now() / 1000}` }],
    is_enterprise_install: false,
  };
}

/** Entered values in the shape Slack puts into view.state.values. */
export function reportValues(o: { provider?: string; credential?: string; where?: string; public?: boolean; severity?: string }) {
  const opt = (v?: string) => (v ? { text: { type: 'plain_text', text: v }, value: v } : null);
  return {
    provider: { value: { type: 'static_select', selected_option: opt(o.provider ?? 'aws-iam') } },
    credential: { value: { type: 'plain_text_input', value: o.credential ?? null } },
    where: { value: { type: 'plain_text_input', value: o.where ?? null } },
    public: { value: { type: 'checkboxes', selected_options: o.public ? [opt('public')] : [] } },
    severity: { value: { type: 'static_select', selected_option: opt(o.severity) } },
  };
}
