import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Origin, Trust } from './trust';

// A report's control fields (its trust, its source, the scanner alert Leakstop may close) are set only
// by Leakstop's own trigger code, which seals them with an HMAC; the worker checks the seal. Anyone who
// can start workflows or send signals, but does not hold Leakstop's keys, cannot claim a trust or point
// Leakstop at an unrelated alert. The key is derived from the payload keys every client and worker
// already holds (LEAKSTOP_CODEC_KEYS), so there is nothing more to configure or rotate.
// Not imported by workflows: node:crypto is not available in the workflow sandbox.

export interface SealedFields {
  provider: string;
  credentialId: string;
  source: string;
  trust: Trust;
  alert?: { repository: string; number: number };
}

const VERSION = 'v1';

export class Sealer {
  private readonly keys: Map<string, Buffer>;

  /** `keys`: id → secret; the first is used to seal, all are accepted (rotation). */
  constructor(
    keys: Record<string, Buffer>,
    private readonly active: string,
  ) {
    this.keys = new Map(Object.entries(keys).map(([id, key]) => [id, createHmac('sha256', key).update('leakstop report seal').digest()]));
    if (!this.keys.has(active)) throw new Error(`seal: the active key "${active}" is not among the keys`);
  }

  /** With the payload keys every client and worker holds (LEAKSTOP_CODEC_KEYS). */
  static from(k: { keys: Record<string, Buffer>; active: string }): Sealer {
    return new Sealer(k.keys, k.active);
  }

  seal(fields: SealedFields): string {
    return `${VERSION}.${this.active}.${this.mac(this.active, fields)}`;
  }

  verify(fields: SealedFields, seal: string | undefined): boolean {
    const [version, keyId, mac, ...rest] = (seal ?? '').split('.');
    if (version !== VERSION || !keyId || !mac || rest.length || !this.keys.has(keyId)) return false;
    const expected = Buffer.from(this.mac(keyId, fields), 'hex');
    const given = Buffer.from(mac, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(keyId: string, f: SealedFields): string {
    // A JSON array: no separator inside a field can make two different tuples read the same.
    const message = JSON.stringify([VERSION, f.provider, f.credentialId, f.source, f.trust, f.alert?.repository ?? null, f.alert?.number ?? null]);
    return createHmac('sha256', this.keys.get(keyId)!).update(message).digest('hex');
  }
}

/**
 * Where a report came from. Unsealed (started by hand through Temporal, or a signal from anyone who can
 * send one): a plain report, whatever trust or source it claims.
 */
export function originOf(
  sealer: Sealer,
  provider: string,
  credentialId: string,
  r: { exposure: { source: string; alert?: SealedFields['alert'] }; trust?: Trust; seal?: string },
): Origin {
  const { source, alert } = r.exposure;
  const sealed = !!r.trust && sealer.verify({ provider, credentialId, source, trust: r.trust, ...(alert ? { alert } : {}) }, r.seal);
  return sealed ? { source, trust: r.trust!, sealed: true } : { source, trust: 'reported', sealed: false };
}

/** What the trigger that opens a "needs identification" record seals: the record and the alert it names. */
export const pendingSeal = (pendingId: string, source: string, alert?: SealedFields['alert']): SealedFields => ({
  provider: 'pending',
  credentialId: pendingId,
  source,
  trust: 'reported',
  ...(alert ? { alert } : {}),
});
