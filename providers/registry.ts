import { ConfigError } from '../domain/inventory';
import type { CredentialProvider, Deployer, SecretStore } from './types';

/** Provider instances by kind, built from the provider modules (Catalog.registry). Activities look a provider up here. */
export class Registry {
  private readonly credentials = new Map<string, CredentialProvider>();
  private readonly stores = new Map<string, SecretStore>();
  private readonly deployers = new Map<string, Deployer>();

  addCredentialProvider(p: CredentialProvider): this {
    this.credentials.set(p.kind, p);
    return this;
  }
  addStore(s: SecretStore): this {
    this.stores.set(s.kind, s);
    return this;
  }
  addDeployer(d: Deployer): this {
    this.deployers.set(d.kind, d);
    return this;
  }

  credential(kind: string): CredentialProvider {
    return pick(this.credentials, kind, 'credential provider');
  }
  store(kind: string): SecretStore {
    return pick(this.stores, kind, 'secret store');
  }
  deployer(kind: string): Deployer {
    return pick(this.deployers, kind, 'deployer');
  }
}

function pick<T>(map: Map<string, T>, kind: string, what: string): T {
  const found = map.get(kind);
  if (!found) throw new ConfigError(`no ${what} registered for kind "${kind}" (registered: ${[...map.keys()].join(', ') || 'none'})`);
  return found;
}
