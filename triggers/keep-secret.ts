import { secretId } from '../domain/fingerprint';
import { leakedHandle } from '../domain/handles';
import type { SecretVault } from '../providers/types';

/**
 * Where a raw secret that enters through a trigger goes: the vault, never the workflow. A leaked token
 * a provider must act on, or a replacement a person created by hand; the workflow gets the handle.
 */
export async function keepSecret(vault: SecretVault, purpose: 'leaked' | 'new', provider: string, secret: string): Promise<{ id: string; handle: string }> {
  const id = secretId(secret);
  const handle = purpose === 'leaked' ? leakedHandle(provider, id) : `new/${provider}/${id}`;
  await vault.put(handle, { secret });
  return { id, handle };
}
