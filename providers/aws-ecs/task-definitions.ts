import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, type ECSClient, type RegisterTaskDefinitionCommandInput, type Tag, type TaskDefinition } from '@aws-sdk/client-ecs';
import { PermanentError } from '../types';

// Task-definition revisions, as the ECS store and deployer both need them. ECS has no conditional
// register and no client token for it: what makes a write idempotent is reading the latest ACTIVE
// revision first, and what ties a revision to an incident is its tags.

/** The tags a revision registered by Leakstop carries: which incident, and which consumer's write. */
export const INCIDENT_TAG = 'leakstop:incident';
export const CONSUMER_TAG = 'leakstop:consumer';

/** How many of a family's newest revisions the deployer looks through for the incident's one. */
const NEWEST = 10;

/** `family:revision`, from an ARN or from itself (moto echoes whatever string a service was given). */
export const revisionName = (arnOrName: string) => arnOrName.slice(arnOrName.lastIndexOf('/') + 1);

/**
 * The family's ACTIVE revisions, newest first. Sorted here too: moto ignores `sort`, and AWS's first page
 * (sorted DESC) always holds the newest, which is all callers need.
 */
async function activeRevisions(client: ECSClient, family: string, signal?: AbortSignal): Promise<string[]> {
  const page = await client.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC' }), { abortSignal: signal });
  const number = (arn: string) => Number(arn.slice(arn.lastIndexOf(':') + 1));
  return (page.taskDefinitionArns ?? []).sort((a, b) => number(b) - number(a));
}

/**
 * The latest ACTIVE revision of a family, with its tags; undefined when the family has none.
 * (DescribeTaskDefinition with a bare family means the same on AWS, but moto returns the latest
 * revision whatever its status, so the revision is named explicitly.)
 */
export async function latestActive(client: ECSClient, family: string, signal?: AbortSignal): Promise<{ definition: TaskDefinition; tags: Tag[] } | undefined> {
  const [newest] = await activeRevisions(client, family, signal);
  if (!newest) return undefined;
  const d = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: newest, include: ['TAGS'] }), { abortSignal: signal });
  return { definition: d.taskDefinition!, tags: d.tags ?? [] };
}

/**
 * The newest ACTIVE revision an incident registered in a family (any of its consumers': with two
 * consumers in one family, the later revision holds both values). Looked for among the newest few only:
 * the incident registered it minutes ago.
 */
export async function incidentRevision(client: ECSClient, family: string, incidentId: string): Promise<TaskDefinition | undefined> {
  for (const arn of (await activeRevisions(client, family)).slice(0, NEWEST)) {
    const d = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (d.tags?.some((t) => t.key === INCIDENT_TAG && t.value === incidentId)) return d.taskDefinition;
  }
  return undefined;
}

/**
 * The oldest ACTIVE revision registered after `base` and before `mine` by this incident that `holds`
 * accepts: the same change, registered a moment earlier by another consumer of the same entry that copied
 * `base` too (two services run one family, each its own consumer). Usually there is no revision between.
 */
export async function sameChangeMeanwhile(client: ECSClient, family: string, base: number, mine: number, incidentId: string, holds: (d: TaskDefinition) => boolean): Promise<number | undefined> {
  const number = (arn: string) => Number(arn.slice(arn.lastIndexOf(':') + 1));
  const between = (await activeRevisions(client, family)).map(number).filter((n) => n > base && n < mine);
  for (const n of between.sort((a, b) => a - b)) {
    const d = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${n}`, include: ['TAGS'] }));
    if (d.tags?.some((t) => t.key === INCIDENT_TAG && t.value === incidentId) && holds(d.taskDefinition!)) return n;
  }
  return undefined;
}

/**
 * What RegisterTaskDefinition takes to make a copy of `d`: every field it accepts, named one by one so
 * that nothing DescribeTaskDefinition only reports (arn, revision, status, registeredAt…) is sent back.
 */
export function registrationOf(d: TaskDefinition): RegisterTaskDefinitionCommandInput {
  if (!d.family || !d.containerDefinitions) throw new PermanentError(`task definition ${d.taskDefinitionArn ?? '?'} came back without a family or containers`, 'failed');
  return {
    family: d.family,
    containerDefinitions: d.containerDefinitions,
    taskRoleArn: d.taskRoleArn,
    executionRoleArn: d.executionRoleArn,
    networkMode: d.networkMode,
    volumes: d.volumes,
    placementConstraints: d.placementConstraints,
    requiresCompatibilities: d.requiresCompatibilities,
    cpu: d.cpu,
    memory: d.memory,
    pidMode: d.pidMode,
    ipcMode: d.ipcMode,
    proxyConfiguration: d.proxyConfiguration,
    inferenceAccelerators: d.inferenceAccelerators,
    ephemeralStorage: d.ephemeralStorage,
    runtimePlatform: d.runtimePlatform,
    enableFaultInjection: d.enableFaultInjection,
  };
}

/** The environment with `patch` laid over it: existing variables keep their place (duplicates too), new ones are added at the end. */
export function patchedEnvironment(environment: { name?: string; value?: string }[], patch: Record<string, string>) {
  const kept = environment.map((e) => (e.name !== undefined && Object.hasOwn(patch, e.name) ? { name: e.name, value: patch[e.name] } : e));
  const present = new Set(environment.map((e) => e.name));
  return [...kept, ...Object.entries(patch).filter(([name]) => !present.has(name)).map(([name, value]) => ({ name, value }))];
}

/** A container's environment as name → value (the last wins, as ECS applies duplicates). */
export const environmentOf = (environment: { name?: string; value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((environment ?? []).filter((e) => e.name !== undefined).map((e) => [e.name!, e.value ?? '']));
