import { z } from 'zod';
import { awsRegion } from '../aws/config';

export const SecretsManagerSpecSchema = z.strictObject({ kind: z.literal('aws-secrets-manager'), region: awsRegion().optional() });
export type SecretsManagerSpec = z.infer<typeof SecretsManagerSpecSchema>;
