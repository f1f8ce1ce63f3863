import { DeregisterTaskDefinitionCommand, ECSClient, ListTaskDefinitionFamiliesCommand, RegisterTaskDefinitionCommand, type ContainerDefinition, type TaskDefinition } from '@aws-sdk/client-ecs';
import type { StoreWrite } from '../../domain/results';
import type { ResolvedConsumer, StoreSpec } from '../../domain/schemas';
import { perRegion, type AwsConfig } from '../aws/config';
import { environmentPatch, holdsAll } from '../aws/environment';
import type { Runners } from '../discovery';
import { PermanentError, type IncidentContext, type SecretStore } from '../types';
import { ecsCall } from './errors';
import { ecsRunners } from './runners';
import { parseEcsKey, type EcsTaskDefinitionSpec } from './spec';
import { CONSUMER_TAG, INCIDENT_TAG, environmentOf, latestActive, patchedEnvironment, registrationOf, sameChangeMeanwhile } from './task-definitions';

/** Families described at once while scanning: a bounded fan-out, so discovery's time bound is met without flooding the API. */
const SCAN_LANES = 5;

/**
 * A task-definition family's container environment. A write registers one new revision: a copy of the
 * latest ACTIVE one with only the consumer's variables changed, tagged with the incident and consumer.
 * A retry (a worker that died after registering) finds the latest revision already holding the value and
 * registers nothing. Running tasks keep their revision until the service is moved (the ECS deployer).
 *
 * ECS cannot register conditionally: two writers of one family at the same moment can each copy the
 * same revision. When they write the same change (one entry, one consumer per service running it, as
 * discovery adds them), the later registration is withdrawn and both report the earlier. With different
 * changes, the later one lacks the other's: give a family one consumer per incident and entry
 * (`field: json` writes all of a key's variables at once).
 */
export class EcsTaskDefinitionStore implements SecretStore {
  readonly kind = 'aws-ecs-task-definition' as const;
  private readonly clients: (region: string | undefined) => ECSClient;

  constructor(cfg: AwsConfig) {
    this.clients = perRegion(cfg, (c) => new ECSClient(c));
  }

  async write(consumer: ResolvedConsumer, value: string, ctx: IncidentContext): Promise<StoreWrite> {
    const { client, family, container, variable } = this.target(consumer);
    const patch = environmentPatch(consumer, variable, value, 'family/container#VARIABLE');
    const base = { consumer: consumer.name, store: consumer.store, key: consumer.key };
    const { definition, tags } = await this.latest(consumer, client, family);
    const current = containerIn(definition.containerDefinitions, container, consumer);
    if (holdsAll(environmentOf(current.environment), patch)) return { ...base, version: `${family}:${definition.revision}`, changed: false };
    const copy = registrationOf(definition);
    copy.containerDefinitions = copy.containerDefinitions!.map((c) => (c.name === container ? { ...c, environment: patchedEnvironment(c.environment ?? [], patch) } : c));
    // The revision's own tags stay (they describe the task, not a version); an earlier incident's are replaced.
    copy.tags = [...tags.filter((t) => t.key !== INCIDENT_TAG && t.key !== CONSUMER_TAG), { key: INCIDENT_TAG, value: ctx.incidentId }, { key: CONSUMER_TAG, value: consumer.name.slice(0, 256) }];
    const mine = (await this.call(consumer, () => client.send(new RegisterTaskDefinitionCommand(copy)))).taskDefinition!.revision!;
    // Consumers of one entry (one per service it runs in) write the same change at the same moment, and
    // may each copy the same revision: the later registration gives way to the earlier, so the incident
    // leaves one new revision. Tidiness only: both hold the value, so a refused deregistration is no failure.
    const holds = (d: TaskDefinition) => holdsAll(environmentOf(d.containerDefinitions?.find((c) => c.name === container)?.environment), patch);
    const earlier = await this.call(consumer, () => sameChangeMeanwhile(client, family, definition.revision!, mine, ctx.incidentId, holds)).catch(() => undefined);
    if (earlier !== undefined) {
      const withdrawn = await client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:${mine}` })).then(() => true, () => false);
      if (withdrawn) return { ...base, version: `${family}:${earlier}`, changed: false };
    }
    return { ...base, version: `${family}:${mine}`, changed: true };
  }

  /** The services to move to the revision a write registers (providers/aws-ecs/runners.ts). */
  runners(spec: StoreSpec, key: string, signal: AbortSignal): Promise<Runners> {
    return ecsRunners(this.clients((spec as EcsTaskDefinitionSpec).region), spec as EcsTaskDefinitionSpec, key, signal);
  }

  async read(consumer: ResolvedConsumer): Promise<string | undefined> {
    const { client, family, container, variable } = this.target(consumer);
    const env = environmentOf(containerIn((await this.latest(consumer, client, family)).definition.containerDefinitions, container, consumer).environment);
    return variable !== undefined ? env[variable] : JSON.stringify(env);
  }

  /**
   * The latest ACTIVE revision of every family (whose name starts with `prefix`), each container's
   * variables visited as `family/container#VARIABLE`. Secrets referenced by `valueFrom` are not values
   * here: they are found where they live (Secrets Manager, SSM).
   */
  async scan(spec: StoreSpec, prefix: string | undefined, visit: (key: string, value: string) => void, signal: AbortSignal): Promise<void> {
    const client = this.clients((spec as EcsTaskDefinitionSpec).region);
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: prefix, status: 'ACTIVE', nextToken }), { abortSignal: signal });
      const families = page.families ?? [];
      for (let i = 0; i < families.length && !signal.aborted; i += SCAN_LANES) {
        const latest = await Promise.all(families.slice(i, i + SCAN_LANES).map((f) => latestActive(client, f, signal)));
        for (const d of latest) {
          for (const c of d?.definition.containerDefinitions ?? []) {
            for (const [name, value] of Object.entries(environmentOf(c.environment))) visit(`${d!.definition.family}/${c.name}#${name}`, value);
          }
        }
      }
      nextToken = page.nextToken;
    } while (nextToken && !signal.aborted);
  }

  private async latest(consumer: ResolvedConsumer, client: ECSClient, family: string) {
    const found = await this.call(consumer, () => latestActive(client, family));
    if (!found) throw new PermanentError(`consumer ${consumer.name}: task-definition family "${family}" has no ACTIVE revision`, 'not-found');
    return found;
  }

  private target(consumer: ResolvedConsumer) {
    const key = parseEcsKey(consumer.key);
    if ('problem' in key) throw new PermanentError(`consumer ${consumer.name}: key ${key.problem}`, 'invalid');
    return { client: this.clients((consumer.storeSpec as EcsTaskDefinitionSpec).region), ...key };
  }

  private call<T>(consumer: ResolvedConsumer, fn: () => Promise<T>): Promise<T> {
    return ecsCall(`ECS ${consumer.key}`, fn);
  }
}

function containerIn(containers: ContainerDefinition[] | undefined, name: string, consumer: ResolvedConsumer): ContainerDefinition {
  const found = containers?.find((c) => c.name === name);
  if (found) return found;
  const names = (containers ?? []).map((c) => c.name).join(', ') || 'none';
  throw new PermanentError(`consumer ${consumer.name}: the task definition has no container "${name}" (containers: ${names.slice(0, 300)})`, 'invalid');
}
