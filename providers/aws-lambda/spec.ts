import { z } from 'zod';
import { awsRegion } from '../aws/config';
import { splitVariable } from '../aws/environment';

/** A Lambda function's environment as a store: a consumer's key is `function#VARIABLE`, or `function` for JSON merged into the variables. */
export const LambdaEnvSpecSchema = z.strictObject({ kind: z.literal('aws-lambda-env'), region: awsRegion().optional() });
export type LambdaEnvSpec = z.infer<typeof LambdaEnvSpecSchema>;

/** Publishing a version of the function (and pointing an alias at it) is its deploy. */
export const LambdaPublishSpecSchema = z.strictObject({
  kind: z.literal('aws-lambda-publish'),
  function: z.string().regex(/^[A-Za-z0-9_:.-]{1,140}$/, 'must be a function name or ARN'),
  /** The alias callers use (e.g. live); moved to the new version. Without it, only a version is published. */
  alias: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/).optional(),
  region: awsRegion().optional(),
});
export type LambdaPublishSpec = z.infer<typeof LambdaPublishSpecSchema>;

export function parseLambdaKey(key: string): { fn: string; variable?: string } | { problem: string } {
  const split = splitVariable(key);
  if ('problem' in split) return split;
  if (!/^[A-Za-z0-9_:.-]{1,140}$/.test(split.target)) return { problem: `"${key.slice(0, 100)}" is not function or function#VARIABLE` };
  return split.variable === undefined ? { fn: split.target } : { fn: split.target, variable: split.variable };
}
