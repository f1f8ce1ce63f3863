// What this module keeps in the vault, field by field. Secrets are registered for redaction; facts stay
// readable. Fact names carry an `npm` prefix: fields are classified across all modules by name.

export const NPM_MATERIAL_FIELDS = {
  /** A token, leaked (under the trigger's handle) or new. */
  secret: 'secret',
  /** The account the token speaks for (whoami). */
  npmUser: 'fact',
  /** The token list's key of the token: what it is revoked by. Not a secret (it authenticates nothing). */
  npmTokenKey: 'fact',
  /** `true`/`false`, as the token list said. */
  npmReadonly: 'fact',
  /** Comma-separated CIDR ranges the token is limited to; empty for none. */
  npmCidr: 'fact',
  npmCreated: 'fact',
  /** `automation`, or the registry's own type name (granular tokens), when it said one. */
  npmTokenType: 'fact',
  /** How many other tokens the account had when the leak was identified. */
  npmOtherTokens: 'fact',
  /** When this incident asked the registry for a new token: a later attempt knows one may exist. */
  npmCreateStartedAt: 'fact',
  /** The account's token keys just before that request, comma-separated: what the request did not make. */
  npmKeysBefore: 'fact',
} as const satisfies Record<string, 'secret' | 'fact'>;

export type NpmMaterial = { [F in keyof typeof NPM_MATERIAL_FIELDS]?: string };
