import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { ExposureSchema, type Exposure } from '../domain/incident-input';

// The "needs identification" workflow's public surface, for triggers and the CLI.

/** A real leak whose credential nobody could name yet (e.g. GitGuardian sends hashes, not the key id). */
export const PendingLeakSchema = z.strictObject({
  exposure: ExposureSchema,
  requestedBy: z.string().min(1).max(200),
  /** Why it could not be identified, for the person who will. */
  reason: z.string().min(1).max(500),
  escalateAfter: z.string().regex(/^\d+(ms|s|m|h)$/).default('15m'),
});
export type PendingLeak = z.input<typeof PendingLeakSchema>;

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

