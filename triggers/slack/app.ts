import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { IncidentControl } from '../control';
import { Access } from './access';
import { registerCommands } from './commands';
import type { SlackConfig } from './config';
import type { OnRefused, SlackDeps } from './deps';
import { registerIncidentActions } from './incident-actions';
import { registerReportSubmission } from './report-submission';

/** Slash commands and interactivity share one Request URL (set in the manifest). */
export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  config: Pick<SlackConfig, 'botToken' | 'signingSecret' | 'command' | 'reporters' | 'approvers'>;
  control: IncidentControl;
  /** Options for Bolt's Web API client, e.g. `slackApiUrl` for a local Slack in tests. */
  clientOptions?: WebClientOptions;
  /** Someone tried what they may not; `who` is `slack:<user id>`. */
  onRefused?: OnRefused;
  logger?: Logger;
  /** Without a logger: Bolt's console logger at this level (default WARN). */
  logLevel?: LogLevel;
  /** How long user-group members are trusted before Slack is asked again. */
  accessTtlMs?: number;
  /** Puts a replacement credential handed over in Slack into the vault. */
  keepSecret?: SlackDeps['keepSecret'];
}

export interface SlackApp {
  app: App;
  /** Mount on the ingress server for requests under /slack/; Bolt verifies each request's signature. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The Slack trigger: a Bolt app on an HTTPReceiver that never listens itself; the ingress server
 * passes it requests. Async because the bot token is checked (auth.test) before anything is served.
 */
export async function createSlackApp(o: SlackAppOptions): Promise<SlackApp> {
  const logging = o.logger ? { logger: o.logger } : { logLevel: o.logLevel ?? LogLevel.WARN };
  const receiver = new HTTPReceiver({
    signingSecret: o.config.signingSecret,
    endpoints: [SLACK_EVENTS_PATH],
    ...logging,
    // Signature verification (and its five-minute replay window) is Bolt's default; said here so nobody turns it off by accident.
    signatureVerification: true,
  });
  const app = new App({
    token: o.config.botToken,
    receiver,
    ...logging,
    clientOptions: o.clientOptions,
    deferInitialization: true,
    convoStore: false,
  });
  await app.init();
  const logger = app.logger;
  const deps: SlackDeps = {
    control: o.control,
    access: new Access(app.client, { reporters: o.config.reporters, approvers: o.config.approvers }, o.accessTtlMs),
    command: o.config.command,
    onRefused: o.onRefused ?? (() => undefined),
    logger,
    keepSecret: o.keepSecret,
  };
  registerCommands(app, deps);
  registerReportSubmission(app, deps);
  registerIncidentActions(app, deps);
  app.error(async (err) => logger.error(`slack handler failed: ${err.message}`));

  return {
    app,
    handle(req, res) {
      try {
        receiver.requestListener(req, res);
      } catch {
        // Bolt throws for paths and methods it does not serve.
        if (!res.headersSent) res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no Slack route for ${req.method} ${req.url?.split('?')[0]}` }));
      }
    },
  };
}
