import { secretId } from '../domain/fingerprint';
import { leakedHandle } from '../domain/handles';
import type { SecretVault } from '../providers/types';

/**
 * Where a raw secret that enters through a trigger goes: the vault, never the workflow. A leaked token
 * a provider must act on, or a replacement a person created by hand; the workflow gets the handle.
 */
export async function keepSecret(vault: SecretVault, purpose: 'leaked' | 'new', provider: string, secret: string, credentialId?: string): Promise<{ id: string; handle: string }> {
  // A leaked secret is kept under its incident's credential id, which its module derived (recognise):
  // a short hash of the token, or a public name with one (a PostgreSQL role and the password's hash).
  const id = purpose === 'leaked' && credentialId ? credentialId : secretId(secret);
  const handle = purpose === 'leaked' ? leakedHandle(provider, id) : `new/${provider}/${id}`;
  await vault.put(handle, { secret });
  return { id, handle };
}
