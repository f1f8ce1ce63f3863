import { randomUUID } from 'node:crypto';
import { PolicySchema } from '../../domain/schemas';
import type { IncidentContext, SecretMaterial, SecretVault } from '../../providers/types';

/** The vault as providers see it, in memory. */
export class MemoryVault implements SecretVault {
  readonly entries = new Map<string, SecretMaterial>();
  async put(handle: string, material: SecretMaterial) {
    this.entries.set(handle, { ...material });
  }
  async get(handle: string) {
    const m = this.entries.get(handle);
    return m && { ...m };
  }
  async delete(handle: string) {
    this.entries.delete(handle);
  }
}

export function incident(o: Partial<IncidentContext> = {}): IncidentContext {
  return { incidentId: `leak-github-token-${randomUUID().slice(0, 8)}`, startedAt: new Date().toISOString(), policy: PolicySchema.parse({}), ...o };
}
