import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { AbortRequest, ApprovalRequest, DecisionRequest, IncidentState, ManualDoneRequest, TightenRequest } from '../domain/incident';
import type { Report } from '../domain/incident-input';
import type { HygieneApproval, HygieneProgress } from '../domain/audit';

// The incident workflow's public surface: what clients (CLI, triggers, Slack, tests) may call.

export const statusQuery = defineQuery<IncidentState>('status');
/** Something a person said or tried (e.g. a refused approval), for the timeline and post-mortem. */
export const noteSignal = defineSignal<[{ by: string; text: string }]>('note');
/** A further report of the same credential: joins the running incident. */
export const reportSignal = defineSignal<[Report]>('report');
/** A person's answer to a failed step: retry, skip or abort. `step` may be omitted when only one waits. */
export const decideUpdate = defineUpdate<string, [DecisionRequest & { step?: string }]>('decide');
export const approveUpdate = defineUpdate<string, [ApprovalRequest]>('approve');
export const abortUpdate = defineUpdate<string, [AbortRequest]>('abort');
/** An approver adds approval gates to a running incident (recorded on the timeline). */
export const tightenUpdate = defineUpdate<string, [TightenRequest]>('tighten');
/** A manual step is done; the workflow verifies before going on. */
export const doneUpdate = defineUpdate<string, [ManualDoneRequest]>('done');

/** To a scheduled rotation: a leak of its credential was reported, and that incident takes over. */
export const supersedeSignal = defineSignal<[{ incidentId: string }]>('supersede');

/**
 * To a key-hygiene run waiting for an approval (workflows/hygiene.ts): deactivate the proposed unused keys
 * (all of them without `keys`). Refused unless a person is named and every key was proposed by the run.
 */
export const approveHygieneUpdate = defineUpdate<string, [HygieneApproval]>('approveHygiene');
/** A key-hygiene run as it stands: what it proposes, until when it waits, what it did. */
export const hygieneStatusQuery = defineQuery<HygieneProgress>('hygieneStatus');

export const INCIDENT_WORKFLOW_TYPE = 'incidentWorkflow';

// Registered on the server at start-up (worker/search-attributes.ts) so the Temporal UI can filter on them.
export const SA = {
  provider: defineSearchAttributeKey('LeakstopProvider', SearchAttributeType.KEYWORD),
  credential: defineSearchAttributeKey('LeakstopCredential', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('LeakstopPhase', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('LeakstopSeverity', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('LeakstopStatus', SearchAttributeType.KEYWORD),
};
