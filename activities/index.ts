import { Context } from '@temporalio/activity';
import type { ProviderKind } from '../domain/credential';
import type { IncidentState } from '../domain/incident';
import { planFor, type Plan } from '../domain/inventory';
import { renderPostMortem } from '../domain/report';
import { renderRotationRecord } from '../domain/rotation-record';
import type { RotationFacts } from '../domain/rotation-window';
import type { ActionResult, DeployHandle, Identification, NewCredential } from '../domain/results';
import { redact } from '../domain/redact';
import { checkIncidentInput, type Checked } from '../domain/issues';
import type { ParsedIncidentInput, Report } from '../domain/incident-input';
import { catalog } from '../providers';
import { runAudit } from '../providers/audit';
import { renderActions, type DeactivationResult, type HygieneActions, type HygienePlan, type ProposedKey } from '../domain/audit';
import { planRotation, type RotationPlan } from '../providers/rotation';
import { unlistedPlaces } from '../providers/discovery';
import { incidentIdFor } from '../domain/fingerprint';
import { leakedHandle } from '../domain/handles';
import { originOf, pendingSeal, type Sealer } from '../domain/seal';
import type { Origin } from '../domain/trust';
import type { DeployerSpec, Inventory, ResolvedConsumer } from '../domain/schemas';
import type { Registry } from '../providers/registry';
import { PermanentError, type IncidentContext, type LeakedCredential, type IncidentEvent, type Notifier, type PostMortemSink, type SecretVault } from '../providers/types';

export interface ActivityDeps {
  inventory: Inventory;
  registry: Registry;
  vault: SecretVault;
  notifier: Notifier;
  postMortems: PostMortemSink;
  /** Checks the seal Leakstop's triggers put on a report's control fields (trust, source, alert). */
  sealer: Sealer;
  /** Starts (or joins) an incident, as a trigger would: for leaks identified after the fact. */
  report?: (input: unknown) => Promise<{ incidentId: string; joined: boolean }>;
  /** Counts what people on call watch (worker/metrics.ts), when the process exports metrics. */
  metrics?: { onEvent(e: IncidentEvent): void; onDeploy(deployer: string, result: string, seconds: number): void; onDiscovery?(provider: string, found: boolean, seconds: number): void };
  /**
   * Stops a scheduled rotation of a credential that has just been reported leaked (worker/rotations.ts):
   * the incident takes over. Returns the rotation runs it stopped.
   */
  rotations?: {
    yieldTo(leak: { provider: ProviderKind; owner: string; credentialId: string; incidentId: string }): Promise<string[]>;
    /** Whether the incident of this id runs now: a rotation planned meanwhile makes nothing. */
    incidentRunning?(incidentId: string): Promise<boolean>;
  };
  /**
   * Runs a scheduled rotation now (IncidentControl is one: `rotation(name, 'trigger', by)`), for a hygiene
   * run whose old keys rotate on a schedule. Without it such a run lists the rotations to trigger instead.
   */
  rotationSchedules?: { rotation(name: string, action: 'trigger', by: string): Promise<string> };
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
  /**
   * A key-hygiene report's line in the notifier's channel (Slack): the summary (old, unused, expiring within
   * hygiene.expiryWarning, unlisted) and where the report is. Not an incident's event, so metrics never
   * see it; a notifier that fails does not fail the audit (the report is written already).
   */
  const announceAudit = (name: string, summary: string, url: string) =>
    deps.notifier
      .notify({ incidentId: name, phase: 'key hygiene', kind: 'finished', message: `${summary} Report: ${url}`, snapshot: { status: 'completed', phase: 'key hygiene', provider: 'hygiene', credential: 'key hygiene', severity: 'low', waiting: [], postMortemUrl: url } })
      .catch(() => undefined);
  return {
    /**
     * Run as a local activity at the start of every incident: zod lives here, loaded once per worker. Besides
     * the schema: the incident's id must be the one derived from its credential (or a decoy could squat a
     * real key's incident and stall it), and control fields must carry the seal of Leakstop's triggers.
     */
    async validateIncidentInput({ raw, workflowId }: { raw: unknown; workflowId: string }): Promise<Checked<ParsedIncidentInput> & { origin?: Origin }> {
      const checked = checkIncidentInput(catalog.IncidentInputSchema, raw);
      if (!checked.ok) return checked;
      const input = checked.input;
      const problems: [string, string][] = [];
      const expected = incidentIdFor(input.provider, input.credentialId);
      if (workflowId !== expected) {
        problems.push(['workflowId', `must be ${expected}: an incident's id is derived from its credential, so that every report of it joins one incident`]);
      }
      const origin = originOf(deps.sealer, input.provider, input.credentialId, input);
      if (!origin.sealed) {
        const claimed = [input.trust && 'trust', input.seal && 'seal', input.exposure.alert && 'exposure.alert'].filter((f): f is string => !!f);
        for (const field of claimed) problems.push([field, "set only by Leakstop's triggers (sealed); leave it out when starting an incident by hand"]);
      }
      if (problems.length) {
        return { ok: false, message: `incident input is invalid:\n${problems.map(([f, m]) => `${f}: ${m}`).join('\n')}`, fields: problems.map(([f]) => f) };
      }
      return { ok: true, input, origin };
    },

    /** A person named the credential of a pending leak: checked against the provider modules' kinds. */
    async checkIdentification(input: unknown) {
      return checkIncidentInput(catalog.IncidentInputSchema, input);
    },

    /** A further report, checked like the first: an unsealed one counts as a plain report and cannot name an alert. */
    async checkReport({ provider, credentialId, report }: { provider: ProviderKind; credentialId: string; report: Report }): Promise<{ report: Report; origin: Origin; droppedAlert: boolean }> {
      const origin = originOf(deps.sealer, provider, credentialId, report);
      const { trust: _trust, seal: _seal, ...rest } = report;
      if (origin.sealed || !rest.exposure.alert) return { report: rest, origin, droppedAlert: false };
      const { alert: _alert, ...exposure } = rest.exposure;
      return { report: { ...rest, exposure }, origin, droppedAlert: true };
    },

    /**
     * The first response, in one activity so nothing stands between a report and containment: identify
     * the credential, plan from the inventory, and when the policy says contain at once with no approval,
     * contain it. A containment that fails here is not retried here: the workflow's ordinary contain
     * step takes over (retries, escalation). Every part is idempotent, so a retried attempt is safe.
     */
    async firstResponse({ provider, cred, origin, incident }: { provider: ProviderKind; cred: LeakedCredential; origin: Origin; incident: Omit<IncidentContext, 'policy'> }): Promise<FirstResponse> {
      const credential = registry.credential(provider);
      const identification = await credential.identify(cred);
      const plan = planFor(deps.inventory, provider, identification.owner, cred.id, origin);
      const contained = await (async (): Promise<FirstResponse> => {
        if (plan.policy.contain !== 'immediate' || plan.policy.approvals.includes('contain')) return { identification, plan };
        try {
          const result = await credential.contain(cred, identification.owner, { ...incident, policy: plan.policy }, identification);
          // A person contains it (the guided runbook): the workflow's contain step shows them how.
          if ('manual' in result) return { identification, plan };
          return { identification, plan, containment: { ...result, at: new Date().toISOString() } };
        } catch (err) {
          return { identification, plan, containmentFailed: redact(err instanceof Error ? err.message : String(err)) };
        }
      })();
      // Containment first; then a scheduled rotation of the same credential stops, so that the incident
      // alone makes the new credential (a retry finds the rotation already stopped).
      const stopped = await deps.rotations?.yieldTo({ provider, owner: identification.owner, credentialId: cred.id, incidentId: incident.incidentId });
      return stopped?.length ? { ...contained, stoppedRotations: stopped } : contained;
    },

    /**
     * The places holding this incident's credential that the inventory does not list, searched in the
     * inventory's discovery sources (none configured: not searched). Values never leave this activity.
     */
    async discoverConsumers({ provider, credentialId, known }: { provider: ProviderKind; credentialId: string; known: { store: string; key: string }[] }) {
      const found = await unlistedPlaces({ inventory: deps.inventory, registry, catalog, provider, credentialId, known });
      if (found) deps.metrics?.onDiscovery?.(provider, found.places.length > 0, found.ms / 1000);
      return found;
    },

    async describe(provider: ProviderKind, cred: LeakedCredential, owner: string) {
      return registry.credential(provider).describe(cred, owner);
    },

    async contain(provider: ProviderKind, cred: LeakedCredential, owner: string, ctx: IncidentContext) {
      const result = await registry.credential(provider).contain(cred, owner, ctx);
      if ('manual' in result) return result;
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

    /** One input object, as Temporal recommends: adding a field later does not change the activity's signature. */
    async updateEnvironment({ provider, consumer, handle, ctx }: { provider: ProviderKind; consumer: ResolvedConsumer; handle: string; ctx: IncidentContext }) {
      const material = await deps.vault.get(handle);
      if (!material) throw new PermanentError(`the new credential for ${consumer.name} is no longer in the vault`, 'not-found');
      const value = catalog.render(provider, material, consumer.field);
      if (value === undefined) throw new PermanentError(`consumer ${consumer.name} asks for "${consumer.field}", which this credential does not have`, 'invalid');
      return registry.store(consumer.storeSpec.kind).write(consumer, value, ctx);
    },

    async redeploy(consumer: ResolvedConsumer, ctx: IncidentContext): Promise<DeployHandle> {
      return registry.deployer(consumer.deployerSpec!.kind).redeploy(consumer, ctx);
    },

    async awaitDeploy(handle: DeployHandle, spec: DeployerSpec) {
      const ctx = Context.current();
      const began = Date.now();
      const result = await registry.deployer(spec.kind).waitFor(handle, spec, () => ctx.heartbeat());
      deps.metrics?.onDeploy(spec.kind, result.status, (Date.now() - began) / 1000);
      return result;
    },

    async forgetSecret(handle: string) {
      await deps.vault.delete(handle);
    },

    /** When the incident ends, the leaked secret and what was learned beside it leave the vault. */
    async forgetLeaked({ provider, credentialId }: { provider: ProviderKind; credentialId: string }) {
      const handle = leakedHandle(provider, credentialId);
      await deps.vault.delete(handle);
      await registry.credential(provider).forget?.({ id: credentialId, secretHandle: handle });
    },

    async notify(event: IncidentEvent) {
      deps.metrics?.onEvent(event);
      await deps.notifier.notify(event);
    },

    /**
     * A leak a person identified after the fact (workflows/identification.ts). The scanner alert it names
     * is kept only when the trigger that opened the pending record sealed it: a pending record started by
     * hand cannot get an unrelated alert closed.
     */
    async reportLeak({ input, pending }: { input: { exposure: { source: string; alert?: { repository: string; number: number } } } & Record<string, unknown>; pending: { id: string; seal?: string } }) {
      if (!deps.report) throw new PermanentError('this worker cannot start incidents (no Temporal client given)', 'invalid');
      const { alert, ...exposure } = input.exposure;
      const sealed = !!alert && deps.sealer.verify(pendingSeal(pending.id, input.exposure.source, alert), pending.seal);
      return deps.report(sealed ? input : { ...input, exposure });
    },

    async resolveAlert(alert: { repository: string; number: number }, comment: string): Promise<ActionResult> {
      if (!deps.alerts) throw new PermanentError('closing GitHub alerts needs LEAKSTOP_GITHUB_TOKEN or a GitHub App (LEAKSTOP_GITHUB_APP_*) with secret scanning alerts: write', 'invalid');
      return deps.alerts.resolveAlert(alert.repository, alert.number, comment);
    },

    /** The key-hygiene audit (workflows/hygiene.ts): its report goes where post-mortems go, named by the day. */
    async hygieneAudit({ at }: { at: string }) {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 20_000);
      try {
        const r = await runAudit({ inventory: deps.inventory, registry, catalog, now: new Date(at) });
        const report = await deps.postMortems.open(hygieneReportName(at), r.markdown);
        await announceAudit(hygieneReportName(at), r.summary, report.url);
        return { summary: r.summary, findings: r.findings.length, listed: r.listed.length, reportUrl: report.url, notListed: r.problems.map((p) => `${p.provider}: ${p.problem}`) };
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * The audit of a run that may act on its findings (the inventory's `hygiene.actions`). With nothing to
     * propose it writes the report as hygieneAudit does and is done; otherwise it returns the plan and the
     * report's Markdown, which the run completes with what became of the proposals (writeHygieneReport).
     */
    async hygieneAuditPlan({ at }: { at: string }): Promise<{ done: HygieneRunFacts & { reportUrl: string } } | { run: HygieneRunFacts; plan: HygienePlan; markdown: string }> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 20_000);
      try {
        const r = await runAudit({ inventory: deps.inventory, registry, catalog, now: new Date(at) });
        const run = { summary: r.summary, findings: r.findings.length, listed: r.listed.length, notListed: r.problems.map((p) => `${p.provider}: ${p.problem}`) };
        if (r.plan && (r.plan.unused.length || r.plan.old.length)) return { run, plan: r.plan, markdown: r.markdown };
        const markdown = r.plan ? r.markdown + renderActions({}, '') : r.markdown;
        const reportUrl = (await deps.postMortems.open(hygieneReportName(at), markdown)).url;
        await announceAudit(hygieneReportName(at), r.summary, reportUrl);
        return { done: { ...run, reportUrl } };
      } finally {
        clearInterval(beat);
      }
    },

    /** The audit's report with what became of its proposals; rewritten as the run goes on (same name, replaced). */
    async writeHygieneReport({ at, runId, markdown, actions }: { at: string; runId: string; markdown: string; actions: HygieneActions }) {
      const report = await deps.postMortems.open(hygieneReportName(at), markdown + renderActions(actions, runId));
      await announceAudit(hygieneReportName(at), `the report of run ${runId} now says what became of its proposals`, report.url);
      return report;
    },

    /**
     * Deactivates the unused keys a person approved, each with its provider's contain (no quarantine): for
     * AWS, UpdateAccessKey Inactive. Idempotent: a retry finds the key inactive and changes nothing. A key
     * that cannot be deactivated (gone, denied) is reported, and the others still are.
     */
    async deactivateUnusedKeys({ runId, startedAt, keys }: { runId: string; startedAt: string; keys: ProposedKey[] }): Promise<DeactivationResult[]> {
      const results: DeactivationResult[] = [];
      const ctx: IncidentContext = { incidentId: runId, startedAt, policy: { ...deps.inventory.policy, quarantine: false } };
      for (const key of keys) {
        const seen = { id: key.id, display: key.display };
        try {
          const provider = registry.credential(key.provider);
          // The owner as the provider names it (a listed owner may carry its account): identify asks.
          const identification = await provider.identify({ id: key.id });
          const r = await provider.contain({ id: key.id }, identification.owner, ctx, identification);
          if ('manual' in r) results.push({ ...seen, outcome: 'by hand', summary: r.instructions });
          else results.push({ ...seen, outcome: r.changed ? 'deactivated' : 'already inactive', summary: r.summary });
        } catch (err) {
          if (!(err instanceof PermanentError)) throw err; // retried: deactivating again changes nothing
          results.push({ ...seen, outcome: 'failed', summary: redact(err.message).slice(0, 300) });
        }
      }
      return results;
    },

    /**
     * Runs old keys' rotation schedules now (IncidentControl.rotation, as `leakstop rotation trigger` does).
     * Never throws, so never retried: a retry would trigger again. Without the dependency, nothing is
     * triggered and each says why, for a person to run `leakstop rotation trigger NAME`.
     */
    async triggerHygieneRotations({ runId, rotations }: { runId: string; rotations: { name: string; key: ProposedKey }[] }) {
      const triggered: { name: string; key: ProposedKey }[] = [];
      const notTriggered: { name: string; key: ProposedKey; why: string }[] = [];
      const schedules = deps.rotationSchedules;
      for (const r of rotations) {
        if (!schedules) {
          notTriggered.push({ ...r, why: 'this worker cannot trigger schedules' });
          continue;
        }
        try {
          await schedules.rotation(r.name, 'trigger', `key hygiene run ${runId}`);
          triggered.push(r);
        } catch (err) {
          notTriggered.push({ ...r, why: redact(err instanceof Error ? err.message : String(err)).slice(0, 200) });
        }
      }
      return { triggered, notTriggered };
    },

    /**
     * What a scheduled rotation replaces: the entry, its consumers and policy, the credential in use
     * (providers/rotation.ts). A leak of that credential being handled already (its incident runs)
     * leaves nothing to rotate: the incident makes the new credential, and a second one would race it.
     */
    async planRotation({ key }: { key: string }): Promise<RotationPlan> {
      const plan = await planRotation({ inventory: deps.inventory, registry, key });
      if (!plan.credentialId || plan.nothing || !deps.rotations?.incidentRunning) return plan;
      const incidentId = incidentIdFor(plan.provider, plan.credentialId);
      if (!(await deps.rotations.incidentRunning(incidentId))) return plan;
      return { ...plan, nothing: `incident ${incidentId} is handling a leak of this credential: it makes the new credential` };
    },

    async writeRotationRecord({ name, state }: { name: string; state: IncidentState & { rotation: RotationFacts } }) {
      return deps.postMortems.open(name, renderRotationRecord(state));
    },

    async writePostMortem(state: IncidentState) {
      const facts = state.blastRadius?.facts;
      const blastRadius = facts ? catalog.credential(state.input.provider).renderBlastRadius(facts) : [];
      return deps.postMortems.open(state.incidentId, renderPostMortem(state, blastRadius));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Named like the reports the sinks keep (leak-…), by the day: a second run that day replaces it. */
const hygieneReportName = (at: string) => `leak-hygiene-audit-${at.slice(0, 10)}`;

/** A hygiene run's facts besides its report and actions (workflows/hygiene.ts HygieneRun). */
export interface HygieneRunFacts {
  summary: string;
  findings: number;
  listed: number;
  notListed: string[];
}

export interface FirstResponse {
  identification: Identification;
  plan: Plan;
  /** Scheduled rotations of this credential that were running and stopped for the incident. */
  stoppedRotations?: string[];
  /** Set when the first response contained the credential; `at` is when, by the worker's clock. */
  containment?: ActionResult & { at: string };
  /** Why containing failed in the first response (redacted); the contain step then takes over. */
  containmentFailed?: string;
}
