import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';
import { fieldPath } from '../../domain/issues';

// The npm module's own inventory section, `providers.npm`: which registry Leakstop talks to (its only
// outbound origin for npm tokens) and, per account, where that account's password is kept, for the
// registry's token API. Secrets are never inline: a variable's name or a file's path.

const NPMJS = 'https://registry.npmjs.org/';

// npm's rules for user names (npm-user-validate): lower case, URL-safe, at most 214 characters.
const ACCOUNT = /^[a-z0-9][a-z0-9._~-]{0,213}$/;

const AccountSchema = z
  .strictObject({
    /** The environment variable holding the account's password. */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name').optional(),
    /** A file (mode 0600) holding the account's password, read whenever it is needed. */
    passwordFile: z.string().trim().min(1, 'must be a file path').optional(),
  })
  .refine((a) => !!a.passwordEnv !== !!a.passwordFile, { message: 'give passwordEnv or passwordFile (one of them): where the password is kept, never the password' });

export const NpmConfigSchema = z.strictObject({
  /** The registry's URL; npmjs.org unless set (a Verdaccio or another private registry). */
  registry: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://registry.npmjs.org/' })
    .transform((u) => (u.endsWith('/') ? u : `${u}/`))
    .default(NPMJS),
  /** Accounts whose tokens Leakstop may create: npm user name → where its password is kept. */
  accounts: z.record(z.string().regex(ACCOUNT, 'must be an npm user name'), AccountSchema).default({}),
  /** Per request; provider calls run in activities with a 10 s timeout. */
  timeoutMs: z.number().int().min(100).max(8_000).default(3_000),
});

export type NpmConfig = z.output<typeof NpmConfigSchema>;

/** The module's configuration: its inventory section, or npmjs.org with no accounts when there is none. */
export function npmConfig(section: unknown): NpmConfig {
  const r = NpmConfigSchema.safeParse(section ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `providers.npm${i.path.length ? `.${fieldPath(i.path)}` : ''}: ${i.message}`);
  throw new ConfigError(`npm provider configuration is invalid:\n${[...new Set(lines)].join('\n')}`);
}

/** Where an account's password comes from, for people: never the password. */
export const passwordSource = (cfg: NpmConfig, user: string) => {
  const a = cfg.accounts[user];
  return a?.passwordEnv ? `environment variable ${a.passwordEnv}` : a?.passwordFile ? `file ${a.passwordFile}` : undefined;
};

/** The account's password, read now (it may have been changed since the worker started); undefined when none is configured or set. */
export function accountPassword(cfg: NpmConfig, env: NodeJS.ProcessEnv, user: string): string | undefined {
  const a = cfg.accounts[user];
  if (!a) return undefined;
  if (a.passwordEnv) return env[a.passwordEnv] || undefined;
  try {
    return readFileSync(a.passwordFile!, 'utf8').replace(/\r?\n$/, '') || undefined;
  } catch {
    return undefined;
  }
}
