import { createHmac } from 'node:crypto';

// Sends requests to the Bolt receiver the way Slack does: the raw body signed as
// v0:{timestamp}:{body} with HMAC-SHA256 and the app's signing secret.

export interface SlackReply {
  status: number;
  body: string;
  json?: any;
}

export interface Signing {
  secret: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Overrides the computed signature (to send a forged one). */
  signature?: string;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function sendSigned(url: string, body: string, s: Signing): Promise<SlackReply> {
  const timestamp = s.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': s.signature ?? sign(s.secret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, json };
}

/** A slash command as Slack posts it: form fields. */
export function commandBody(f: { command: string; text: string; userId: string; channelId: string; responseUrl: string; triggerId?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0TEST',
    team_domain: 'leakstop-test',
    channel_id: f.channelId,
    channel_name: 'security',
    user_id: f.userId,
    user_name: f.userId.toLowerCase(),
    command: f.command,
    text: f.text,
    api_app_id: 'A0TEST',
    is_enterprise_install: 'false',
    response_url: f.responseUrl,
    trigger_id: f.triggerId ?? `trigger.${Date.now()}`,
  }).toString();
}

/** An interaction (block_actions, view_submission) as Slack posts it: payload=<JSON>. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
