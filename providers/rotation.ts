import type { ProviderKind } from '../domain/credential';
import { leakedHandle } from '../domain/handles';
import { PolicySchema, type Policy } from '../domain/incident-input';
import { resolveConsumers, rotatingEntries } from '../domain/inventory';
import type { RotationFacts } from '../domain/rotation-window';
import type { Inventory, ResolvedConsumer } from '../domain/schemas';
import { catalog } from '.';
import type { Registry } from './registry';
import { PermanentError } from './types';

export interface RotationPlan {
  provider: ProviderKind;
  owner: string;
  /** The credential in use now; absent when there is nothing to rotate (`nothing` says why). */
  credentialId?: string;
  nothing?: string;
  policy: Policy;
  consumers: ResolvedConsumer[];
  window?: RotationFacts['window'];
}

/**
 * What a scheduled rotation replaces, from the inventory as this worker has it: the entry named by
 * `key`, its consumers, the policy (the entry's, with the rotation's own approvals), and the credential
 * in use now: the entry's credentialId, or the owner's active key the provider lists (the oldest when
 * there are two).
 */
export async function planRotation(o: { inventory: Inventory; registry: Registry; key: string }): Promise<RotationPlan> {
  const found = rotatingEntries(o.inventory).find((r) => r.key === o.key);
  if (!found) throw new PermanentError(`the inventory has no rotating credential named "${o.key}" (any more): remove its schedule or add the entry back`, 'not-found');
  const { entry } = found;
  const base = PolicySchema.parse({ ...o.inventory.policy, ...entry.policy });
  const policy: Policy = { ...base, contain: 'after-rotation', approvals: entry.rotation?.approvals ?? [] };
  const plan = { provider: entry.provider, policy, consumers: resolveConsumers(o.inventory, entry), ...(entry.rotation?.window ? { window: entry.rotation.window } : {}) };
  const credential = o.registry.credential(entry.provider);
  if (entry.credentialId) {
    const owner = entry.owner ?? (await credential.identify({ id: entry.credentialId, secretHandle: leakedHandle(entry.provider, entry.credentialId) })).owner;
    return { ...plan, credentialId: entry.credentialId, owner };
  }
  const owner = entry.owner!;
  if (!credential.list) return { ...plan, owner, nothing: `${entry.provider} cannot list ${owner}'s credentials: give the entry a credentialId` };
  // Only an id the kind can act on: a listing may name tokens by what the API shows (a GitHub fine-grained
  // token's grant id), not by the id an incident uses (a hash of the value, which no listing returns).
  const listed = (await credential.list(owner)).filter((c) => c.owner === owner && c.status === 'active');
  const active = listed.filter((c) => catalog.actsOn(entry.provider, c.id)).sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
  if (active.length === 0 && listed.length > 0) return { ...plan, owner, nothing: `${entry.provider} lists ${owner}'s credentials by an id it cannot rotate by: give the entry a credentialId` };
  if (active.length === 0) return { ...plan, owner, nothing: `${owner} has no active credential to rotate` };
  return { ...plan, owner, credentialId: active[0]!.id };
}
