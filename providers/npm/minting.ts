import type { SecretVault } from '../types';
import type { NpmRegistryClient } from './client';
import type { NpmMaterial } from './material';

// A new token, made at most once per incident however often regenerate runs. The token goes to the
// vault before the verb returns, so a retry finds it there. Before asking the registry, the intent is
// recorded (when, and which token keys the account had then): if the worker dies after the registry
// made a token but before the vault write, nobody holds that token, and the next attempt finds it in the
// token list (a key that was not there before, created since), revokes it and makes another. So the
// incident ends with one new token, never an orphan that works and that nobody knows of.

/** Clocks differ between the worker and the registry; a token created this long before the intent still counts as the attempt's. */
const CLOCK_SKEW_MS = 60_000;

export interface Restrictions {
  readonly: boolean;
  cidr: string[];
}

export interface Minted {
  material: NpmMaterial;
  /** Keys of tokens an earlier, interrupted attempt made and this one revoked. */
  removed: string[];
}

export class TokenMinting {
  /** One attempt per handle at a time in this worker (a timed-out attempt may still be running). */
  private readonly running = new Map<string, Promise<Minted>>();

  constructor(
    private readonly registry: NpmRegistryClient,
    private readonly vault: SecretVault,
  ) {}

  once(handle: string, user: string, password: string, restrictions: Restrictions, leakedKey: string | undefined): Promise<Minted> {
    const running = this.running.get(handle);
    if (running) return running;
    const run = this.mint(handle, user, password, restrictions, leakedKey).finally(() => this.running.delete(handle));
    this.running.set(handle, run);
    return run;
  }

  private async mint(handle: string, user: string, password: string, restrictions: Restrictions, leakedKey: string | undefined): Promise<Minted> {
    const before: NpmMaterial | undefined = await this.vault.get(handle);
    if (before?.secret) return { material: before, removed: [] };
    const auth = { user, password };
    const removed: string[] = [];
    let listed = await this.registry.listTokens(auth);
    if (before?.npmCreateStartedAt) {
      const known = new Set((before.npmKeysBefore ?? '').split(',').filter(Boolean));
      const since = Date.parse(before.npmCreateStartedAt) - CLOCK_SKEW_MS;
      const orphans = listed.filter((t) => !known.has(t.key) && t.key !== leakedKey && (t.created === undefined || Date.parse(t.created) >= since));
      for (const t of orphans) {
        await this.registry.deleteToken(auth, t.key);
        removed.push(t.key);
      }
      if (orphans.length) listed = await this.registry.listTokens(auth);
    }
    const startedAt = new Date().toISOString();
    await this.vault.put(handle, { npmCreateStartedAt: startedAt, npmKeysBefore: listed.map((t) => t.key).join(',') } satisfies NpmMaterial);
    const made = await this.registry.createToken(user, password, restrictions);
    const material: NpmMaterial = {
      secret: made.token,
      npmUser: user,
      npmTokenKey: made.key,
      npmReadonly: String(restrictions.readonly),
      npmCidr: restrictions.cidr.join(','),
      ...(made.created ? { npmCreated: made.created } : {}),
      npmCreateStartedAt: startedAt,
    };
    await this.vault.put(handle, material);
    return { material, removed };
  }
}
