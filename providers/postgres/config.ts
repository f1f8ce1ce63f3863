import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';
import { ROLE } from './connection-string';

// The module's inventory section, `providers.postgres`: per cluster, where it is, the names applications
// reach it by, how Leakstop connects as an administrator (the password only by reference: an environment
// variable or a file, never inline), and per role how it is contained and regenerated.

const roleName = z.string().regex(ROLE, 'must be a role name (letters, digits, _ $ . - up to 63)');

export const RoleRulesSchema = z.strictObject({
  /** `nologin`: ALTER ROLE … NOLOGIN (reversible: LOGIN); `password`: the leaked password replaced by one nobody holds. Sessions are terminated either way. */
  contain: z.enum(['nologin', 'password']).default('nologin'),
  /** `same-role`: a new password for the role (brief downtime); `swap`: the partner role (`swapWith`) gets a new password and the consumers move to it. */
  regenerate: z.enum(['same-role', 'swap']).default('same-role'),
  /** The other role of a two-role pair, with the same grants (both members of one group role). */
  swapWith: roleName.optional(),
  /** The database in the connection URL consumers receive; the cluster's when absent. */
  database: z.string().min(1).max(63).optional(),
});

const HostSchema = z.string().trim().toLowerCase().regex(/^[a-z0-9.:_-]{1,253}$/, 'must be a host name or an IP address');

export const ClusterSchema = z
  .strictObject({
    /** Where Leakstop connects (the administrator's connection, and every probe of a password). */
    host: HostSchema,
    port: z.number().int().min(1).max(65535).default(5432),
    /** Other names applications reach the cluster by (`db.internal`, `db.internal:6432`): how a leaked connection string is matched to it. */
    aliases: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9._-]{1,253}(?::\d{1,5})?$/, 'must be host or host:port')).default([]),
    /** The database Leakstop connects to, checks privileges in, and puts in consumers' URLs by default. */
    database: z.string().min(1).max(63).default('postgres'),
    /** TLS for Leakstop's own connections: `require` (no certificate check) or `verify-full`. */
    ssl: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    admin: z
      .strictObject({
        user: roleName,
        /** The environment variable that holds the administrator's password. */
        passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
        /** A file (mode 0600) that holds it, e.g. a mounted secret. */
        passwordFile: z.string().min(1).optional(),
      })
      .refine((a) => !!a.passwordEnv !== !!a.passwordFile, { message: 'give the password by reference: passwordEnv or passwordFile (one of them; never inline)' }),
    /** Rules for all roles of the cluster, and per role. */
    defaults: RoleRulesSchema.default(RoleRulesSchema.parse({})),
    roles: z.record(roleName, RoleRulesSchema.partial()).default({}),
  })
  .superRefine((c, ctx) => {
    for (const [name, r] of Object.entries(c.roles)) {
      if ((r.regenerate ?? c.defaults.regenerate) === 'swap' && !r.swapWith && !Object.values(c.roles).some((o) => o.swapWith === name)) {
        ctx.addIssue({ code: 'custom', path: ['roles', name, 'swapWith'], message: 'regenerate: swap needs the partner role (swapWith)' });
      }
      if (r.swapWith === name) ctx.addIssue({ code: 'custom', path: ['roles', name, 'swapWith'], message: 'must be another role' });
    }
  });

export const PostgresConfigSchema = z.strictObject({
  clusters: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a short name: a-z, 0-9, _ -'), ClusterSchema).default({}),
});

export type PostgresConfig = z.output<typeof PostgresConfigSchema>;
export type Cluster = z.output<typeof ClusterSchema> & { name: string };
export type RoleRules = z.output<typeof RoleRulesSchema> & { partner?: string };

/** The cluster a leaked credential's host and port name: its host, an alias, or its name. */
export function clusterFor(config: PostgresConfig | undefined, host: string, port: number): Cluster | undefined {
  for (const [name, c] of Object.entries(config?.clusters ?? {})) {
    const names = [c.host, name, ...c.aliases.filter((a) => !a.includes(':'))];
    if (port === c.port && names.includes(host)) return { ...c, name };
    if (c.aliases.includes(`${host}:${port}`)) return { ...c, name };
  }
  return undefined;
}

/** What applies to a role: its own rules over the cluster's defaults, and its swap partner (either side of the pair). */
export function rulesFor(cluster: Cluster, role: string): RoleRules {
  const own = cluster.roles[role] ?? {};
  const partner = own.swapWith ?? Object.entries(cluster.roles).find(([, r]) => r.swapWith === role)?.[0];
  return { ...cluster.defaults, ...own, ...(partner ? { partner } : {}) };
}

/** The administrator's password, read when used (a rotated file is picked up); the error names the reference, never a value. */
export function adminPassword(cluster: Cluster, env: NodeJS.ProcessEnv): string {
  const { passwordEnv, passwordFile } = cluster.admin;
  if (passwordEnv) {
    const v = env[passwordEnv];
    if (!v) throw new ConfigError(`providers.postgres.clusters.${cluster.name}.admin.passwordEnv: the environment variable ${passwordEnv} is not set`);
    return v;
  }
  try {
    return readFileSync(passwordFile!, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(`providers.postgres.clusters.${cluster.name}.admin.passwordFile: cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
