import { z } from 'zod';
import { DurationSchema } from '../../domain/incident-input';

export const HttpHookSpecSchema = z.strictObject({
  kind: z.literal('http-hook'),
  url: z.url(),
  /** Header names whose values come from environment variables, so tokens stay out of the file. */
  headersFromEnv: z.record(z.string(), z.string()).default({}),
  timeout: DurationSchema.default('10m'),
  pollInterval: DurationSchema.default('2s'),
});
export type HttpHookSpec = z.infer<typeof HttpHookSpecSchema>;
