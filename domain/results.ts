// What provider verbs return: plain data that is safe to keep in workflow history and to show
// people. None of these ever carries a secret; a new credential travels as a vault handle.

/** A fact the provider could not establish, and why (unsupported, denied, …). */
export interface Unknown {
  unknown: true;
  reason: string;
}
export type Known<T> = T | Unknown;
export const isUnknown = (v: unknown): v is Unknown =>
  typeof v === 'object' && v !== null && (v as Unknown).unknown === true;

export interface Identification {
  owner: string;
  /** Account or organisation the owner lives in. */
  account?: string;
  status: 'active' | 'inactive';
  lastUsed: Known<{ at?: string; service?: string; region?: string }>;
}

/**
 * What describe found. `facts` are the provider's own (an AWS key's policies and CloudTrail events, a
 * token's scopes, …), plain data its module renders in the post-mortem (CredentialKind.renderBlastRadius).
 */
export interface BlastRadius {
  owner: string;
  facts: Record<string, unknown>;
}

export interface ActionResult {
  /** What was done, in words for the timeline ("set AKIA…WXYZ inactive"). */
  summary: string;
  /** false when the state was already as wanted (a retry, or someone got there first). */
  changed: boolean;
  /** When it was done (set for containment). */
  at?: string;
}

export interface NewCredential {
  /** The new credential's public id (an access key id). */
  id: string;
  /** Where its secret material waits for the stores; never the material itself. */
  handle: string;
  /** Keys removed to make room or left by a crashed attempt, for the report. */
  removed: string[];
}

export interface Verification {
  newWorks: boolean;
  newIdentity?: string;
  oldDisabled: boolean;
  detail: string;
}

export interface StoreWrite {
  consumer: string;
  store: string;
  key: string;
  version: string;
  changed: boolean;
}

export interface DeployHandle {
  consumer: string;
  id: string;
  statusUrl: string;
}

export interface DeployResult {
  consumer: string;
  id: string;
  status: 'succeeded' | 'failed';
  detail?: string;
}
