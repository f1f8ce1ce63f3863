import type { RotationFacts } from './rotation-window';
import type { Phase, ParsedIncidentInput, Policy, Report, ResolvedConsumer } from './schemas';
import type { Origin } from './trust';
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
  /** Where the first report came from and which trust rule applied (domain/trust.ts). */
  trust?: { origin: Origin; rule: string; held?: Phase };
  /** Approvals a person added on the running incident (tighten), kept apart from the inventory's. */
  tightened: Phase[];
  /** The first reports, at most MAX_REPORTS; `moreReports` counts the rest. */
  reports: Report[];
  moreReports?: number;
  /** Scanner alerts to close once the credential is revoked: only ones Leakstop's triggers sealed. */
  alerts: { repository: string; number: number }[];
  identification?: Identification;
  blastRadius?: BlastRadius;
  /** What discovery found during the incident that the inventory does not list (only where, never a value). */
  discovered?: Discovered;
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
  /** Timeline entries dropped to keep the state bounded (the oldest after the first ones). */
  timelineDropped?: number;
  /** Everything that waits for a person right now (parallel steps can wait at once). */
  waiting: Waiting[];
  /** Milliseconds from the incident's start to the key being contained. */
  timeToContainMs?: number;
  /** A scheduled rotation's own facts (workflows/rotation.ts); absent for a leak. */
  rotation?: RotationFacts;
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

/** An approver makes a running incident wait for them at more phases; never loosens the inventory's policy. */
export interface TightenRequest {
  approvals: Phase[];
  by: string;
}

/** Bounds on what reports can add to an incident's state, which lives in workflow history. */
export const LIMITS = { reports: 20, alerts: 20, timeline: 500, keepFirst: 50, eventLength: 500, inbox: 50 } as const;

export interface AbortRequest {
  by: string;
  reason: string;
}

/** Unless the reporter said otherwise: a public leak is critical, any other high. */
export function severityOf(input: Pick<ParsedIncidentInput, 'severity' | 'exposure'>): string {
  return input.severity ?? (input.exposure.public ? 'critical' : 'high');
}

/** A place discovery found holding the incident's credential. */
export interface DiscoveredPlace {
  store: string;
  key: string;
  /** What a consumer of it receives; absent when the credential sits inside other text (a person edits it) or is only a candidate by name. */
  field?: string;
  /** `name`: unverified, an entry named like this kind's settings in a store that never shows values (GitHub Actions secrets). */
  matchedBy: 'id' | 'fingerprint' | 'name';
}

export interface Discovered {
  places: DiscoveredPlace[];
  mode: 'ask' | 'update' | 'report';
  /** Added to the incident's consumers, and by whom (`policy` for update). */
  added?: { by: string; names: string[] };
  /** Sources that failed or were cut off. */
  problems: string[];
  ms: number;
}
