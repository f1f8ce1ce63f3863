import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../domain/inventory';

// The module's inventory section, `providers.kubernetes`: per cluster, its API server, the CA that signs
// the server's certificate, and Leakstop's bearer token by reference (an environment variable or a file
// such as a projected service-account token; never inline). Every call goes to the cluster's `server`
// and nowhere else: the client is built from these fields alone, never from a kubeconfig on the machine.

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

export const ClusterSchema = z
  .strictObject({
    /** The API server, https (the client refuses plain http). */
    server: z
      .string()
      .refine((u) => URL.canParse(u) && new URL(u).protocol === 'https:', { message: 'must be an https:// URL (the API server; tokens travel on it)' }),
    /** The CA certificate (PEM) that signs the server's certificate; only it is trusted, so a redirect elsewhere fails TLS. */
    ca: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate' }).optional(),
    /** Or a file holding it (a kubeconfig's certificate-authority). */
    caFile: z.string().min(1).optional(),
    /** The environment variable that holds Leakstop's bearer token for this cluster. */
    tokenEnv: envName.optional(),
    /** Or a file that holds it (e.g. /var/run/secrets/kubernetes.io/serviceaccount/token), read at every use so a rotated token is picked up. */
    tokenFile: z.string().min(1).optional(),
  })
  .refine((c) => !!c.ca !== !!c.caFile, { message: 'give the cluster CA: ca (PEM) or caFile (one of them)' })
  .refine((c) => !!c.tokenEnv !== !!c.tokenFile, { message: 'give the token by reference: tokenEnv or tokenFile (one of them; never inline)' });

export const KubernetesConfigSchema = z.strictObject({
  clusters: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a short name: a-z, 0-9, _ -'), ClusterSchema).default({}),
});

export type KubernetesConfig = z.output<typeof KubernetesConfigSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema>;

/** A configured cluster, with its CA and token read now (the token is read at every use). */
export interface Cluster {
  name: string;
  server: string;
  ca: string;
  token: string;
}

/** The cluster a store or deployer names; the errors name the setting, never a value. */
export function resolveCluster(config: KubernetesConfig | undefined, name: string, env: NodeJS.ProcessEnv): Cluster {
  const c = config?.clusters[name];
  const where = `providers.kubernetes.clusters.${name}`;
  if (!c) throw new ConfigError(`${where}: no such cluster (configured: ${Object.keys(config?.clusters ?? {}).join(', ') || 'none'})`);
  return { name, server: c.server.replace(/\/+$/, ''), ca: c.ca ?? readSetting(`${where}.caFile`, c.caFile!), token: token(where, c, env) };
}

function token(where: string, c: ClusterConfig, env: NodeJS.ProcessEnv): string {
  if (c.tokenEnv) {
    const v = env[c.tokenEnv];
    if (!v) throw new ConfigError(`${where}.tokenEnv: the environment variable ${c.tokenEnv} is not set`);
    return v.trim();
  }
  const v = readSetting(`${where}.tokenFile`, c.tokenFile!).trim();
  if (!v) throw new ConfigError(`${where}.tokenFile: ${c.tokenFile} is empty`);
  return v;
}

function readSetting(where: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
