import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Exposure } from '../domain/incident-input';

// The "needs identification" workflow's public surface, for triggers and the CLI. Types only besides the
// query and update definitions: workflow code loads no schema module unless it validates (see identification.ts).

export type { PendingLeak } from '../domain/pending-leak';

export interface IdentifyRequest {
  provider: string;
  credentialId: string;
  by: string;
}

export interface Pending {
  status: 'needs identification' | 'identified';
  exposure: Exposure;
  reason: string;
  since: string;
  identifiedBy?: string;
  incidentId?: string;
}

export const pendingQuery = defineQuery<Pending>('pending');
/** A person names the credential; the real incident starts (or joins) with this leak's exposure. */
export const identifyUpdate = defineUpdate<string, [IdentifyRequest]>('identify');
export const IDENTIFICATION_WORKFLOW_TYPE = 'identificationWorkflow';

