import type { Phase, Policy, Trust } from './incident-input';

// Who may make Leakstop act. Leakstop can take production credentials offline, and credential ids are
// not secret, so a report alone proves nothing: only a source that checked the leak itself (a GitHub
// alert read back through GitHub's API, AWS Health, a scanner that verified the key live) makes
// Leakstop act at once. Any other report opens the incident and maps the blast radius, but the first
// step that changes anything waits for an approver, unless the inventory trusts that source.

export { TRUST_LEVELS, type Trust } from './incident-input';

/** Where a report came from, as Leakstop's own trigger code established it (sealed; see domain/seal.ts). */
export interface Origin {
  source: string;
  trust: Trust;
  /** False when nothing proves where the report came from (started by hand in the Temporal UI). */
  sealed: boolean;
}

export interface TrustRules {
  /** Sources whose reports act at once although they are not authoritative (the inventory's `trust.actAtOnce`). */
  actAtOnce: readonly string[];
}

/** The first phase that changes anything: containment, or under `after-rotation` the new credential. */
export function firstActingPhase(policy: Pick<Policy, 'contain'>): Phase {
  return policy.contain === 'immediate' ? 'contain' : 'regenerate';
}

export interface TrustDecision {
  /** The policy with the approval the trust rule adds, if any. */
  policy: Policy;
  /** The phase held for an approver because of the report's trust (not because of the inventory). */
  held?: Phase;
  /** Said plainly in the first message of the incident: which rule applied. */
  rule: string;
}

export function applyTrust(policy: Policy, origin: Origin, rules: TrustRules): TrustDecision {
  const phase = firstActingPhase(policy);
  const how = phase === 'contain' ? 'contains at once' : 'rotates at once';
  if (origin.trust === 'authoritative') {
    return { policy, rule: `trust: ${origin.source} is an authoritative source (it checked the leak itself), so Leakstop ${how}` };
  }
  const who = origin.sealed ? `a report from ${origin.source}` : 'an incident started by hand in Temporal (no trigger vouches for it)';
  if (origin.sealed && rules.actAtOnce.includes(origin.source)) {
    return { policy, rule: `trust: ${who} is not proof of a leak, but the inventory trusts ${origin.source} (trust.actAtOnce), so Leakstop ${how}` };
  }
  const held = policy.approvals.includes(phase) ? undefined : phase;
  return {
    policy: held ? { ...policy, approvals: [...policy.approvals, phase] } : policy,
    held,
    rule: `trust: ${who} is not proof of a leak, so ${phase} waits for an approver; the blast radius is mapped meanwhile (an authoritative report of the same credential, or the inventory's trust.actAtOnce, lifts this)`,
  };
}
