import { z } from 'zod';
import { DurationSchema, ExposureSchema } from './incident-input';

/** A real leak whose credential nobody could name yet (e.g. GitGuardian sends hashes, not the key id). */
export const PendingLeakSchema = z.strictObject({
  exposure: ExposureSchema,
  requestedBy: z.string().min(1).max(200),
  /** Why it could not be identified, for the person who will. */
  reason: z.string().min(1).max(500),
  escalateAfter: DurationSchema.default('15m'),
  /** Set by the trigger that opened the record: vouches for the scanner alert its exposure names. */
  seal: z.string().max(200).optional(),
});
export type PendingLeak = z.input<typeof PendingLeakSchema>;
