import type { IncomingMessage, ServerResponse } from 'node:http';
import { format } from 'node:util';
import { App, HTTPReceiver, LogLevel, type BufferedIncomingMessage, type Logger } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import { redact } from '../../domain/redact';
import type { IncidentControl } from '../control';
import { discardUnread, HttpError, readBody, sendJson } from '../respond';
import { Access } from './access';
import { registerCommands } from './commands';
import type { SlackConfig } from './config';
import type { OnRefused, SlackDeps } from './deps';
import { registerIncidentActions } from './incident-actions';
import { registerReportSubmission } from './report-submission';

/** Slash commands and interactivity share one Request URL (set in the manifest). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Every byte of a request is held until Bolt can check its signature, so an unsigned sender could
 * make the ingress hold Bolt's default 4 MB per request. Slack's largest requests to Leakstop are view
 * submissions of its own modals: the view (a few KB) and at most two text inputs of 3,000 characters;
 * even if every character took 4 bytes and was URL-encoded (12 bytes), that is under 90 KB. 128 KiB
 * keeps a person's submission from ever being refused while bounding what a stranger can make us hold.
 */
export const SLACK_BODY_LIMIT = 128 * 1024;

export interface SlackAppOptions {
  config: Pick<SlackConfig, 'botToken' | 'signingSecret' | 'command' | 'reporters' | 'approvers'>;
  control: IncidentControl;
  /** Options for Bolt's Web API client, e.g. `slackApiUrl` for a local Slack in tests. */
  clientOptions?: WebClientOptions;
  /** Someone tried what they may not; `who` is `slack:<user id>`. */
  onRefused?: OnRefused;
  /** Where Bolt logs; the ingress passes its redacting logger (worker/log.ts `boltLogger`). */
  logger?: Logger;
  /** Without a logger: the console at this level (default WARN), redacted. */
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
  const level = o.logLevel ?? LogLevel.WARN;
  // Bolt's App sets its logger to its own default level (INFO) unless it is given one.
  const logging = o.logger ? { logger: o.logger } : { logger: redactedConsole(level), logLevel: level };
  const receiver = new HTTPReceiver({
    signingSecret: o.config.signingSecret,
    endpoints: [SLACK_EVENTS_PATH],
    ...logging,
    // handle() reads the body first, within this limit; said to Bolt too, in case a request reaches it unread.
    bodyLimit: SLACK_BODY_LIMIT,
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

  const listen = (req: IncomingMessage, res: ServerResponse) => {
    try {
      receiver.requestListener(req, res);
    } catch {
      // Bolt throws for paths and methods it does not serve.
      if (!res.headersSent) res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `no Slack route for ${req.method} ${req.url?.split('?')[0]}` }));
    }
  };
  return {
    app,
    handle(req, res) {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== SLACK_EVENTS_PATH) return listen(req, res);
      // Read within SLACK_BODY_LIMIT before Bolt sees the request: Bolt uses a body already read (rawBody) as is.
      readBody(req, SLACK_BODY_LIMIT).then(
        (rawBody) => listen(Object.assign(req, { rawBody }) satisfies BufferedIncomingMessage, res),
        (err: unknown) => {
          const refusal = err instanceof HttpError ? err : new HttpError(400, 'the request body could not be read');
          if (!res.headersSent) sendJson(res, refusal.status, { error: refusal.message }, discardUnread(req, {}));
        },
      );
    },
  };
}

/** Bolt's levels, most verbose first. */
const LEVELS = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];

/** The console, as Bolt's own logger writes it, but redacted: for an app created without the ingress's logger. */
function redactedConsole(initial: LogLevel): Logger {
  let level = initial;
  let name = 'bolt-app';
  const at = (l: LogLevel, write: (line: string) => void) => (...msg: unknown[]) => {
    if (LEVELS.indexOf(l) >= LEVELS.indexOf(level)) write(`[${l.toUpperCase()}] ${name} ${redact(format(...msg))}`);
  };
  return {
    debug: at(LogLevel.DEBUG, (line) => console.debug(line)),
    info: at(LogLevel.INFO, (line) => console.info(line)),
    warn: at(LogLevel.WARN, (line) => console.warn(line)),
    error: at(LogLevel.ERROR, (line) => console.error(line)),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: (n) => void (name = n),
  };
}
