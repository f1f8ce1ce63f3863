import { z } from 'zod';
import { durationMs } from '../../domain/duration';
import { DurationSchema } from '../../domain/incident-input';
import { awsRegion } from '../aws/config';
import { splitVariable } from '../aws/environment';

/** ECS's own rule for family, container, cluster and service names. */
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Names, or ARNs of this kind of ECS resource (`arn:aws:ecs:<region>:<account>:cluster/<name>`). */
const nameOrArn = (resource: 'cluster' | 'service') =>
  z.string().regex(new RegExp(`^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:${resource}/([A-Za-z0-9_-]{1,255}/)?)?[A-Za-z0-9_-]{1,255}$`), `must be an ECS ${resource} name or ARN`);

/** The deploy activity heartbeats every 10 s (workflows/incident.ts): a poll must come back sooner. */
const MAX_POLL_MS = 5000;

/** Moving an ECS service to the revision the store registered, then following its rollout. */
export const EcsServiceSpecSchema = z.strictObject({
  kind: z.literal('aws-ecs-service'),
  cluster: nameOrArn('cluster'),
  service: nameOrArn('service'),
  region: awsRegion().optional(),
  /**
   * `steady` (default): the service's PRIMARY deployment runs the new revision, it is the only one left,
   * and all its tasks run (ECS's own services-stable rule, and rolloutState COMPLETED where ECS reports
   * it). `accepted`: ECS has taken the new revision; the rollout is not followed (slow rollouts that an
   * incident should not wait for, and emulators without tasks).
   */
  until: z.enum(['steady', 'accepted']).default('steady'),
  timeout: DurationSchema.default('15m'),
  pollInterval: DurationSchema.default('5s').refine((v) => durationMs(v) <= MAX_POLL_MS, `must be at most ${MAX_POLL_MS / 1000}s (the deploy step reports progress every 10 s)`),
});
export type EcsServiceSpec = z.infer<typeof EcsServiceSpecSchema>;

/**
 * A task definition's container environment as a store: a consumer's key is `family/container#VARIABLE`,
 * or `family/container` for a JSON object of variables merged into the container's environment.
 * `redeploy`: how the services discovery finds running a family are followed once moved (the
 * aws-ecs-service options; by default until steady).
 */
export const EcsTaskDefinitionSpecSchema = z.strictObject({
  kind: z.literal('aws-ecs-task-definition'),
  region: awsRegion().optional(),
  redeploy: EcsServiceSpecSchema.pick({ until: true, timeout: true, pollInterval: true }).optional(),
});
export type EcsTaskDefinitionSpec = z.infer<typeof EcsTaskDefinitionSpecSchema>;

export interface EcsKey {
  family: string;
  container: string;
  variable?: string;
}

export function parseEcsKey(key: string): EcsKey | { problem: string } {
  const split = splitVariable(key);
  if ('problem' in split) return split;
  const [family = '', container = '', ...rest] = split.target.split('/');
  if (rest.length || !NAME.test(family) || !NAME.test(container)) return { problem: `"${key.slice(0, 100)}" is not family/container or family/container#VARIABLE` };
  return split.variable === undefined ? { family, container } : { family, container, variable: split.variable };
}
