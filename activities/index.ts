import { Context } from '@temporalio/activity';
import type { ProviderKind } from '../domain/credential';
import type { IncidentState } from '../domain/incident';
import { planFor, type Plan } from '../domain/inventory';
import { renderPostMortem } from '../domain/report';
import type { ActionResult, DeployHandle, Identification, NewCredential } from '../domain/results';
import { redact } from '../domain/redact';
import { renderSecret } from '../domain/secret-format';
import { checkIncidentInput } from '../domain/issues';
import { IncidentInputSchema } from '../domain/incident-input';
import type { DeployerSpec, Inventory, PolicyOverrides, ResolvedConsumer } from '../domain/schemas';
import type { Registry } from '../providers/registry';
import { PermanentError, type IncidentContext, type LeakedCredential, type IncidentEvent, type Notifier, type PostMortemSink, type SecretVault } from '../providers/types';

export interface ActivityDeps {
  inventory: Inventory;
  registry: Registry;
  vault: SecretVault;
  notifier: Notifier;
  postMortems: PostMortemSink;
  /** Starts (or joins) an incident, as a trigger would: for leaks identified after the fact. */
  report?: (input: unknown) => Promise<{ incidentId: string; joined: boolean }>;
  /** Closes scanner alerts once their credential is revoked (GitHub secret scanning), when configured. */
  alerts?: { resolveAlert(repository: string, number: number, comment: string): Promise<ActionResult> };
}

/**
 * Thin adapters from workflow calls to providers: look the provider up by kind, call its verb,
 * return plain data. Dependencies come in through the factory so tests pass real clients
 * pointed at local servers.
 */
export function createActivities(deps: ActivityDeps) {
  const { registry } = deps;
  return {
    /** Run as a local activity at the start of every incident: zod lives here, loaded once per worker. */
    async validateIncidentInput(raw: unknown) {
      return checkIncidentInput(IncidentInputSchema, raw);
    },

    async identify(provider: ProviderKind, cred: LeakedCredential) {
      return registry.credential(provider).identify(cred);
    },

    /**
     * The first response, in one activity so nothing stands between a report and containment: identify
     * the credential, plan from the inventory, and when the policy says contain at once with no approval,
     * contain it. A containment that fails here is not retried here: the workflow's ordinary contain
     * step takes over (retries, escalation). Every part is idempotent, so a retried attempt is safe.
     */
    async firstResponse(provider: ProviderKind, cred: LeakedCredential, overrides: PolicyOverrides, incident: Omit<IncidentContext, 'policy'>): Promise<FirstResponse> {
      const credential = registry.credential(provider);
      const identification = await credential.identify(cred);
      const plan = planFor(deps.inventory, provider, identification.owner, cred.id, overrides);
      if (plan.policy.contain !== 'immediate' || plan.policy.approvals.includes('contain')) return { identification, plan };
      try {
        const result = await credential.contain(cred, identification.owner, { ...incident, policy: plan.policy }, identification);
        return { identification, plan, containment: { ...result, at: new Date().toISOString() } };
      } catch (err) {
        return { identification, plan, containmentFailed: redact(err instanceof Error ? err.message : String(err)) };
      }
    },

    async plan(provider: ProviderKind, owner: string, cred: LeakedCredential, overrides: PolicyOverrides): Promise<Plan> {
      return planFor(deps.inventory, provider, owner, cred.id, overrides);
    },

    async describe(provider: ProviderKind, cred: LeakedCredential, owner: string) {
      return registry.credential(provider).describe(cred, owner);
    },

    async contain(provider: ProviderKind, cred: LeakedCredential, owner: string, ctx: IncidentContext) {
      const result = await registry.credential(provider).contain(cred, owner, ctx);
      // When the credential stopped working, by this worker's clock: time to contain is measured from it.
      return { ...result, at: new Date().toISOString() };
    },

    async regenerate(provider: ProviderKind, cred: LeakedCredential, owner: string, ctx: IncidentContext) {
      return registry.credential(provider).regenerate(cred, owner, ctx);
    },

    async verify(provider: ProviderKind, cred: LeakedCredential, owner: string, fresh: NewCredential) {
      return registry.credential(provider).verify(cred, owner, fresh);
    },

    async revoke(provider: ProviderKind, cred: LeakedCredential, owner: string, ctx: IncidentContext) {
      return registry.credential(provider).revoke(cred, owner, ctx);
    },

    async updateEnvironment(consumer: ResolvedConsumer, handle: string, ctx: IncidentContext) {
      const material = await deps.vault.get(handle);
      if (!material) throw new PermanentError(`the new credential for ${consumer.name} is no longer in the vault`, 'not-found');
      const value = renderSecret(material, consumer.field);
      if (value === undefined) throw new PermanentError(`consumer ${consumer.name} asks for "${consumer.field}", which this credential does not have`, 'invalid');
      return registry.store(consumer.storeSpec.kind).write(consumer, value, ctx);
    },

    async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
      return registry.deployer(consumer.deployerSpec!.kind).redeploy(consumer, ctx);
    },

    async awaitDeploy(handle: DeployHandle, spec: DeployerSpec) {
      const ctx = Context.current();
      return registry.deployer(spec.kind).waitFor(handle, spec, () => ctx.heartbeat());
    },

    async forgetSecret(handle: string) {
      await deps.vault.delete(handle);
    },

    async notify(event: IncidentEvent) {
      await deps.notifier.notify(event);
    },

    async reportLeak(input: unknown) {
      if (!deps.report) throw new PermanentError('this worker cannot start incidents (no Temporal client given)', 'invalid');
      return deps.report(input);
    },

    async resolveAlert(alert: { repository: string; number: number }, comment: string): Promise<ActionResult> {
      if (!deps.alerts) throw new PermanentError('closing GitHub alerts needs LEAKSTOP_GITHUB_TOKEN (secret scanning alerts: write)', 'invalid');
      return deps.alerts.resolveAlert(alert.repository, alert.number, comment);
    },

    async writePostMortem(state: IncidentState) {
      return deps.postMortems.open(state.incidentId, renderPostMortem(state));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

export interface FirstResponse {
  identification: Identification;
  plan: Plan;
  /** Set when the first response contained the credential; `at` is when, by the worker's clock. */
  containment?: ActionResult & { at: string };
  /** Why containing failed in the first response (redacted); the contain step then takes over. */
  containmentFailed?: string;
}
