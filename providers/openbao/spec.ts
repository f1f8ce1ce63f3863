import { z } from 'zod';
import { securesSecrets } from '../../domain/origin';

/** A KV version 2 secrets engine of OpenBao or HashiCorp Vault (the API is the same). */
export const OpenBaoKvSpecSchema = z.strictObject({
  kind: z.literal('openbao-kv'),
  /** The server: https, or http to this machine only (a dev server, an agent on loopback). */
  address: z
    .string()
    .refine((u) => URL.canParse(u), { message: 'must be an absolute URL' })
    .refine(securesSecrets, { message: 'must be https:// (http:// only to 127.0.0.1, localhost or [::1]): secrets travel on it' }),
  /** Where the KV v2 engine is mounted. */
  mount: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a mount path such as secret or kv/apps').default('secret'),
  /** The environment variable that holds Leakstop's token for this server (never the token itself). */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').default('LEAKSTOP_OPENBAO_TOKEN'),
  /** An OpenBao/Vault Enterprise namespace, sent as X-Vault-Namespace. */
  namespace: z.string().regex(/^[A-Za-z0-9_/-]{1,200}$/).optional(),
});
export type OpenBaoKvSpec = z.infer<typeof OpenBaoKvSpecSchema>;

/**
 * A consumer's key: the secret's path under the mount, and after `#` the field inside it that receives
 * the value (`apps/web#MAPS_KEY`). Without a field, the consumer's value must be a JSON object (field
 * `json`), whose entries are merged into the secret.
 */
export function parseKey(key: string): { path: string; field?: string } | { problem: string } {
  const [path, field, ...rest] = key.split('#');
  if (rest.length) return { problem: 'at most one # (path#field)' };
  if (!path || !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || path.split('/').some((p) => p === '.' || p === '..')) {
    return { problem: `"${key.slice(0, 100)}" is not a secret path (segments of letters, digits, . _ -, separated by /)` };
  }
  if (field !== undefined && !/^[A-Za-z0-9_.-]{1,200}$/.test(field)) return { problem: `"${field.slice(0, 100)}" is not a field name` };
  return field === undefined ? { path } : { path, field };
}
