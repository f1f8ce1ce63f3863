import type { Phase, ParsedIncidentInput, Policy, Report, ResolvedConsumer } from './schemas';
import type {
  ActionResult,
  BlastRadius,
  DeployResult,
  Identification,
  NewCredential,
  StoreWrite,
  Verification,
} from './results';

// The incident as the workflow keeps it and as people see it (status query, post-mortem).
// Plain data only: it lives in workflow history.

export type IncidentStatus = 'running' | 'waiting' | 'completed' | 'aborted';
export type Decision = 'retry' | 'skip' | 'abort';

export interface TimelineEntry {
  at: string;
  phase: Phase | 'incident';
  event: string;
  by?: string;
}

export interface ActionRecord {
  phase: Phase;
  step: string;
  outcome: 'done' | 'skipped' | 'failed';
  detail: string;
  at: string;
}

export interface Waiting {
  kind: 'decision' | 'approval' | 'manual';
  phase: Phase;
  step: string;
  reason: string;
  since: string;
  /** What a person may answer. */
  options: string[];
}

export interface IncidentState {
  incidentId: string;
  input: ParsedIncidentInput;
  status: IncidentStatus;
  phase: Phase;
  startedAt: string;
  finishedAt?: string;
  policy?: Policy;
  reports: Report[];
  identification?: Identification;
  blastRadius?: BlastRadius;
  consumers: ResolvedConsumer[];
  containment?: ActionResult;
  newCredential?: Omit<NewCredential, 'handle'>;
  storeWrites: StoreWrite[];
  deploys: DeployResult[];
  verification?: Verification;
  revocation?: ActionResult;
  postMortem?: { url: string };
  actions: ActionRecord[];
  timeline: TimelineEntry[];
  /** Everything that waits for a person right now (parallel steps can wait at once). */
  waiting: Waiting[];
  /** Milliseconds from the incident's start to the key being contained. */
  timeToContainMs?: number;
}

export interface DecisionRequest {
  decision: Decision;
  by: string;
  note?: string;
}

export interface ApprovalRequest {
  phase: Phase;
  by: string;
}

/** A person finished a manual step (e.g. created the replacement token and put it in the vault). */
export interface ManualDoneRequest {
  step?: string;
  by: string;
  /** The replacement's public id (or fingerprint) and its vault handle; never the secret itself. */
  credential?: { id: string; handle: string };
  note?: string;
}

export interface AbortRequest {
  by: string;
  reason: string;
}

/** Unless the reporter said otherwise: a public leak is critical, any other high. */
export function severityOf(input: Pick<ParsedIncidentInput, 'severity' | 'exposure'>): string {
  return input.severity ?? (input.exposure.public ? 'critical' : 'high');
}
