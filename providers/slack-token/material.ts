// What this module keeps in the vault, field by field. Secrets are registered for redaction; facts stay
// readable. Fact names carry a `slack` prefix: fields are classified across all modules by name.

export const SLACK_MATERIAL_FIELDS = {
  /** A token or webhook URL, leaked (under the trigger's handle) or new. */
  secret: 'secret',
  /** The refresh token a rotation returned beside the new access token. */
  refreshToken: 'secret',
  slackTeamId: 'fact',
  slackTeam: 'fact',
  slackEnterpriseId: 'fact',
  slackUserId: 'fact',
  slackUser: 'fact',
  slackBotId: 'fact',
  slackTokenType: 'fact',
  slackAppId: 'fact',
  slackAppName: 'fact',
  /** Comma-separated, as Slack's x-oauth-scopes header says them. */
  slackScopes: 'fact',
  /** When an exchange of a refresh token was first attempted: a later attempt knows one may have spent it. */
  slackExchangeStartedAt: 'fact',
} as const satisfies Record<string, 'secret' | 'fact'>;

export type SlackMaterial = { [F in keyof typeof SLACK_MATERIAL_FIELDS]?: string };
