import { z } from 'zod';
import { awsRegion } from '../aws/config';

export const SsmSpecSchema = z.strictObject({ kind: z.literal('aws-ssm'), region: awsRegion().optional(), kmsKeyId: z.string().min(1).optional() });
export type SsmSpec = z.infer<typeof SsmSpecSchema>;
