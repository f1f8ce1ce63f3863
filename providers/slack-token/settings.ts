import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';
import { fieldPath } from '../../domain/issues';

// The Slack token module's configuration: from the environment, or given in code under
// `settings['slack-token']` (tests). Every problem names the variable (or setting) to fix; no value is
// ever repeated in an error: the client secret is a secret.

const SLACK_API = 'https://slack.com/api/';

// Provider calls run in activities with a 10 s start-to-close timeout: one request, one honoured
// Retry-After and a second request must fit in it. Longer waits go back to Temporal's retry.
const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_RATE_LIMIT = { attempts: 2, maxWaitSeconds: 3 };

export const SlackTokenSettingsSchema = z
  .strictObject({
    /** Slack's Web API; another origin only for a local stand-in (tests). */
    apiUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' })
      .transform((u) => (u.endsWith('/') ? u : `${u}/`))
      .default(SLACK_API),
    /** The app's OAuth client id, for exchanging refresh tokens (token rotation). */
    clientId: z.string().trim().regex(/^[0-9]+\.[0-9]+$/, "must be the app's client id (digits.digits, from Basic Information)").optional(),
    clientSecret: z.string().trim().min(16, "must be the app's client secret (from Basic Information)").optional(),
    /** A JSON file: installation (as Leakstop names a token's owner) → that installation's refresh token. */
    refreshTokenFile: z.string().trim().min(1, 'must be a file path').optional(),
    timeoutMs: z.number().int().min(100).max(8_000).default(DEFAULT_TIMEOUT_MS),
    rateLimit: z
      .strictObject({
        /** Requests per call, the first included, while Slack answers `ratelimited`. */
        attempts: z.number().int().min(1).max(5),
        /** A longer Retry-After is not waited out here: the call fails, retryably, and Temporal retries later. */
        maxWaitSeconds: z.number().min(0).max(6),
      })
      .default(DEFAULT_RATE_LIMIT),
  })
  .superRefine((s, ctx) => {
    if (!!s.clientId !== !!s.clientSecret) {
      ctx.addIssue({ code: 'custom', path: [s.clientId ? 'clientSecret' : 'clientId'], message: 'must be set together with the client id and secret (both or neither)' });
    }
    if (s.refreshTokenFile && !s.clientId) {
      ctx.addIssue({ code: 'custom', path: ['refreshTokenFile'], message: "needs the app's client id and secret: a refresh token is exchanged with them" });
    }
  });

export type SlackTokenSettings = z.output<typeof SlackTokenSettingsSchema>;

/** Where each setting comes from in the environment. */
export const SLACK_TOKEN_ENV = {
  apiUrl: 'LEAKSTOP_SLACK_API_URL',
  clientId: 'LEAKSTOP_SLACK_CLIENT_ID',
  clientSecret: 'LEAKSTOP_SLACK_CLIENT_SECRET',
  refreshTokenFile: 'LEAKSTOP_SLACK_REFRESH_TOKEN_FILE',
} as const;

/** The settings name modules are given in code under (ModuleContext.settings). */
export const SETTINGS_KEY = 'slack-token';

/**
 * The module's settings: `settings['slack-token']` when given in code, otherwise the environment.
 * Throws ConfigError naming each variable (or setting) that is wrong, so the worker does not start.
 */
export function slackTokenSettings(ctx: { env: NodeJS.ProcessEnv; settings: Record<string, unknown> }): SlackTokenSettings {
  const given = ctx.settings[SETTINGS_KEY];
  if (given !== undefined) return parse(given, (path) => `settings["${SETTINGS_KEY}"].${fieldPath(path)}`);
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(SLACK_TOKEN_ENV)) {
    const v = ctx.env[name]?.trim();
    if (v) raw[key] = v;
  }
  return parse(raw, (path) => SLACK_TOKEN_ENV[path[0] as keyof typeof SLACK_TOKEN_ENV] ?? `Slack token settings (${fieldPath(path)})`);
}

function parse(raw: unknown, name: (path: ReadonlyArray<PropertyKey>) => string): SlackTokenSettings {
  const r = SlackTokenSettingsSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${name(i.path)}: ${i.message}`);
  throw new ConfigError(`Slack token provider configuration is invalid:\n${[...new Set(lines)].join('\n')}`);
}
