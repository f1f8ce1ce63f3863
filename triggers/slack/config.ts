import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';

// The Slack integration's configuration, from the environment. Every problem names the variable
// to fix; no value is ever repeated in an error (the token and signing secret are secrets).

const principal = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'must be Slack user ids (U…, W…) or user-group ids (S…), comma-separated');
const principals = z
  .string()
  .transform((s) => s.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(principal).min(1, 'must list at least one Slack user id (U…) or user-group id (S…)'));

export const SlackConfigSchema = z.strictObject({
  botToken: z.string().regex(/^xoxb-[A-Za-z0-9-]+$/, 'must be a bot token (xoxb-…)'),
  signingSecret: z.string().regex(/^[0-9a-f]{16,}$/i, "must be the app's signing secret (hex, from Basic Information)"),
  /** Where incident threads are posted: an id, because names change and ids do not. */
  channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a channel id (C… or G…), not a name'),
  command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command such as /leakstop').default('/leakstop'),
  /**
   * Who may report and read status, besides the approvers: `*` (anyone in the workspace) or a list.
   * Unset: the approvers only. A report from Slack never contains at once by itself (domain/trust.ts).
   */
  reporters: z
    .string()
    .transform((s, ctx): '*' | string[] => {
      if (s.trim() === '*') return '*';
      const r = principals.safeParse(s);
      if (r.success) return r.data;
      for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    })
    .default([]),
  /** Who may approve, decide, mark done and abort. Required: nobody approves by default. */
  approvers: principals,
  /** Mentioned whenever an incident waits for a person. */
  escalation: principal.optional(),
});
export type SlackConfig = z.output<typeof SlackConfigSchema>;

export const SLACK_ENV = {
  botToken: 'SLACK_BOT_TOKEN',
  signingSecret: 'SLACK_SIGNING_SECRET',
  channel: 'LEAKSTOP_SLACK_CHANNEL',
  command: 'LEAKSTOP_SLACK_COMMAND',
  reporters: 'LEAKSTOP_SLACK_REPORTERS',
  approvers: 'LEAKSTOP_SLACK_APPROVERS',
  escalation: 'LEAKSTOP_SLACK_ESCALATION',
} as const satisfies Record<keyof SlackConfig, string>;

/**
 * Reads the Slack configuration. Slack is optional: with none of the bot token, signing secret and
 * channel set, this returns undefined; with any of them set, all must be valid.
 */
export function loadSlackConfig(env: NodeJS.ProcessEnv = process.env): SlackConfig | undefined {
  const raw: Partial<Record<keyof SlackConfig, string>> = {};
  for (const [key, name] of Object.entries(SLACK_ENV) as [keyof SlackConfig, string][]) {
    const v = env[name]?.trim();
    if (v) raw[key] = v;
  }
  if (!raw.botToken && !raw.signingSecret && !raw.channel) return undefined;
  const parsed = SlackConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = i.path[0] as keyof SlackConfig | undefined;
    const name = key && key in SLACK_ENV ? SLACK_ENV[key] : 'Slack configuration';
    return `${name}: ${i.code === 'invalid_type' && raw[key!] === undefined ? 'is required' : i.message}`;
  });
  throw new ConfigError(`Slack configuration is invalid:\n${[...new Set(lines)].join('\n')}`);
}
