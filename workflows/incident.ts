import {
  ApplicationFailure,
  CancellationScope,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { createActivities, FirstResponse } from '../activities';
import type { Plan } from '../domain/inventory';
import { redactId } from '../domain/credential';
import { severityOf, type IncidentState } from '../domain/incident';
import { checkIncidentInput } from '../domain/issues';
import type { Identification, NewCredential } from '../domain/results';
import type { ResolvedConsumer } from '../domain/schemas';
import { SA } from './definitions';
import { Incident, IncidentAborted, SKIPPED } from './runtime';

export * from './definitions';

type Activities = ReturnType<typeof createActivities>;

// Patches keep incidents that were running when a release changed the workflow's commands
// replayable (test/replay.test.ts replays histories recorded before each patch).
/** 2026-11: a notification when regenerate, redeploy, verify and revoke finish (Slack thread replies). */
const DONE_NOTIFICATIONS = 'done-notifications';
/** 2026-11: the inventory plan runs as a local activity (one fewer round trip before containment). */
const LOCAL_PLAN = 'local-plan';
/**
 * 2026-11: identify, plan and (policy permitting) contain in one activity, with no notification before
 * it: one workflow task and one activity between a report and a contained key.
 */
const FIRST_RESPONSE = 'first-response';
/**
 * 2026-11: the input is validated by a local activity, where zod is loaded once, instead of in the
 * workflow, which would evaluate zod's modules afresh for every incident (~20 ms and memory per workflow).
 */
const VALIDATE_IN_ACTIVITY = 'validate-in-activity';

const retry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 6,
  // Retrying cannot fix these: the step goes to a person instead.
  nonRetryableErrorTypes: ['PermanentError', 'ValidationError', 'ConfigError'],
};
// Provider calls take well under a second; a short timeout lets a crashed worker's attempt be
// retried elsewhere quickly. Verification waits for a new key to propagate, so it gets longer.
const act = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry });
const slow = proxyActivities<Activities>({ startToCloseTimeout: '60s', retry });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry });
// Deploys can take long; the heartbeat lets a crashed worker's attempt be retried within seconds.
const deploys = proxyActivities<Activities>({ startToCloseTimeout: '2h', heartbeatTimeout: '10s', retry });

/**
 * The leaked-credential runbook: triage, blast radius, contain, regenerate, update environments,
 * redeploy, verify, revoke, post-mortem. The workflow id is derived from the credential's
 * fingerprint, so every report of one credential lands here.
 */
export async function incidentWorkflow(rawInput: unknown): Promise<IncidentState> {
  // Patches are asked before the first await. A status query that arrives while the validation runs can
  // end the first workflow task early, so the runbook continues in the next one. On replay it continues
  // in the first, where a patch recorded in the second is not yet known.
  const validateInActivity = patched(VALIDATE_IN_ACTIVITY);
  const firstResponse = patched(FIRST_RESPONSE);
  const checked = validateInActivity ? await local.validateIncidentInput(rawInput) : validateHere(rawInput);
  if (!checked.ok) {
    // Started by hand (Temporal UI) with bad input: fail at once, naming each field.
    throw ApplicationFailure.create({ type: 'ValidationError', message: checked.message, nonRetryable: true, details: [checked.fields] });
  }
  const input = checked.input;
  const incident = new Incident({
    incidentId: workflowInfo().workflowId,
    input,
    status: 'running',
    phase: 'triage',
    startedAt: workflowInfo().startTime.toISOString(),
    reports: [{ exposure: input.exposure, requestedBy: input.requestedBy }],
    consumers: [],
    storeWrites: [],
    deploys: [],
    actions: [],
    timeline: [],
    waiting: [],
  });
  incident.listen();
  upsertSearchAttributes([
    { key: SA.provider, value: input.provider },
    { key: SA.credential, value: redactId(input.credentialId) },
    { key: SA.severity, value: severityOf(input) },
  ]);
  incident.setStatus('running');
  incident.log('incident', `reported via ${input.exposure.source}: ${redactId(input.credentialId)}`, input.requestedBy);

  try {
    await incident.scope.run(() => runbook(incident, firstResponse));
    incident.setStatus('completed');
  } catch (err) {
    if (!(err instanceof IncidentAborted) && !incident.abortedBy) throw err;
    const { by, reason } = incident.abortedBy!;
    incident.log('incident', `aborted: ${reason}`, by);
    incident.setStatus('aborted');
  }
  // The post-mortem is written whatever happened: an incident is never silently dropped.
  await CancellationScope.nonCancellable(() => postMortem(incident));
  return incident.state;
}

async function runbook(incident: Incident, firstResponse: boolean): Promise<void> {
  const s = incident.state;
  const { provider } = s.input;
  const cred = { id: s.input.credentialId, ...(s.input.secretHandle ? { secretHandle: s.input.secretHandle } : {}) };
  const ctx = () => ({ incidentId: s.incidentId, startedAt: s.startedAt, policy: s.policy! });

  // Triage: who owns it, is it live, what does the inventory say; and with it, the first containment.
  let first: FirstResponse | undefined;
  let id: Identification;
  let plan: Plan;
  if (firstResponse) {
    incident.setPhase('triage'); // no notification yet: nothing stands between the report and containment
    const r = await incident.step('triage', 'identify', () => act.firstResponse(provider, cred, s.input.policy ?? {}, { incidentId: s.incidentId, startedAt: s.startedAt }), ['retry', 'abort']);
    if (r === SKIPPED) return;
    first = r;
    ({ identification: id, plan } = r);
    await incident.tell('triage', 'started', r.containment ? 'triage started; the key is already contained' : 'triage started');
  } else {
    await incident.enter('triage');
    const r = await incident.step('triage', 'identify', () => act.identify(provider, cred), ['retry', 'abort']);
    if (r === SKIPPED) return;
    id = r;
    // The plan is a lookup in the worker's inventory: run in the workflow task, not a round trip.
    plan = patched(LOCAL_PLAN) ? await local.plan(provider, id.owner, cred, s.input.policy ?? {}) : await act.plan(provider, id.owner, cred, s.input.policy ?? {});
  }
  s.identification = id;
  s.policy = plan.policy;
  s.consumers = plan.consumers;
  incident.record('triage', 'identify', `owner ${id.owner}, key ${id.status}, ${plan.consumers.length} consumer(s)${plan.matched ? ` (inventory: ${plan.matched})` : ' (not in the inventory)'}`);
  const owner = id.owner;

  const contain = async () => {
    await incident.enter('contain');
    if (first?.containmentFailed) incident.log('contain', `first response could not contain: ${first.containmentFailed}; trying again as a step`);
    const r = first?.containment ?? (await incident.step('contain', 'deactivate key', () => act.contain(provider, cred, owner, ctx())));
    if (r === SKIPPED) return;
    s.containment = r;
    s.timeToContainMs = Date.parse(r.at ?? new Date().toISOString()) - Date.parse(s.startedAt);
    incident.record('contain', 'deactivate key', r.summary);
    await incident.tell('contain', 'done', `contained: ${r.summary}`);
  };
  const blastRadius = async () => {
    await incident.enter('blast-radius');
    const r = await incident.step('blast-radius', 'describe', () => act.describe(provider, cred, owner));
    if (r === SKIPPED) return;
    s.blastRadius = r;
    incident.record('blast-radius', 'describe', `mapped for ${owner}`);
  };

  if (s.policy!.contain === 'immediate') {
    // Stop the bleeding while the blast radius is still being mapped.
    await Promise.all([contain(), blastRadius()]);
  } else {
    await blastRadius();
  }

  await incident.enter('regenerate');
  const made = await incident.step('regenerate', 'create key', () => act.regenerate(provider, cred, owner, ctx()));
  const fresh = made !== SKIPPED && 'manual' in made ? await incident.manual('regenerate', 'create replacement', made.instructions) : made;
  if (fresh !== SKIPPED) {
    s.newCredential = { id: fresh.id, removed: fresh.removed };
    incident.record('regenerate', 'create key', `new key ${redactId(fresh.id)}${fresh.removed.length ? `; removed ${fresh.removed.map(redactId).join(', ')}` : ''}`);
    if (patched(DONE_NOTIFICATIONS)) await incident.tell('regenerate', 'done', `rotated: new credential ${redactId(fresh.id)}`);
    await updateEnvironments(incident, fresh, ctx);
    await redeploy(incident, ctx);
  } else {
    for (const phase of ['update-environments', 'redeploy'] as const) {
      incident.record(phase, 'all consumers', 'not run: no new credential (regenerate was skipped)', 'skipped');
    }
  }

  if (s.policy!.contain === 'after-rotation') await contain();

  await incident.enter('verify');
  if (fresh === SKIPPED) {
    incident.record('verify', 'new key', 'not run: no new credential (regenerate was skipped)', 'skipped');
  } else {
    const v = await incident.step('verify', 'check keys', () => slow.verify(provider, cred, owner, fresh));
    if (v !== SKIPPED) {
      s.verification = v;
      incident.record('verify', 'check keys', v.detail);
      if (patched(DONE_NOTIFICATIONS)) await incident.tell('verify', 'done', `verified: ${v.detail}`);
    }
  }

  await incident.enter('revoke');
  const revoked = await incident.step('revoke', 'delete key', () => act.revoke(provider, cred, owner, ctx()));
  if (revoked !== SKIPPED) {
    s.revocation = revoked;
    incident.record('revoke', 'delete key', revoked.summary);
    if (patched(DONE_NOTIFICATIONS)) await incident.tell('revoke', 'done', `revoked: ${revoked.summary}`);
  }
  if (fresh !== SKIPPED) await act.forgetSecret(fresh.handle);
}

async function updateEnvironments(incident: Incident, fresh: NewCredential, ctx: () => Parameters<Activities['updateEnvironment']>[2]) {
  const s = incident.state;
  await incident.enter('update-environments');
  await Promise.all(
    s.consumers.map(async (consumer) => {
      const step = `write ${consumer.name}`;
      const w = await incident.step('update-environments', step, () => act.updateEnvironment(consumer, fresh.handle, ctx()));
      if (w === SKIPPED) return;
      s.storeWrites.push(w);
      incident.record('update-environments', step, `${w.store} ${w.key} version ${w.version}${w.changed ? '' : ' (already current)'}`);
    }),
  );
}

async function redeploy(incident: Incident, ctx: () => Parameters<Activities['redeploy']>[1]) {
  const s = incident.state;
  const targets = s.consumers.filter((c): c is ResolvedConsumer & { deployerSpec: NonNullable<ResolvedConsumer['deployerSpec']> } => !!c.deployerSpec);
  await incident.enter('redeploy');
  if (targets.length === 0) incident.record('redeploy', 'all consumers', 'nothing to redeploy: no consumer has a deployer');
  await Promise.all(
    targets.map(async (consumer) => {
      const step = `redeploy ${consumer.name}`;
      const written = s.storeWrites.some((w) => w.consumer === consumer.name);
      if (!written) {
        incident.record('redeploy', step, 'not run: its secret was not written', 'skipped');
        return;
      }
      const r = await incident.step('redeploy', step, async () => {
        const handle = await act.redeploy(consumer, ctx());
        return deploys.awaitDeploy(handle, consumer.deployerSpec);
      });
      if (r === SKIPPED) return;
      s.deploys.push(r);
      incident.record('redeploy', step, `deploy ${r.id} ${r.status}`);
      if (patched(DONE_NOTIFICATIONS)) await incident.tell('redeploy', 'done', `deployed ${consumer.name}: ${r.id} ${r.status}`);
    }),
  );
}

async function postMortem(incident: Incident): Promise<void> {
  const s = incident.state;
  s.phase = 'post-mortem';
  upsertSearchAttributes([{ key: SA.phase, value: 'post-mortem' }]);
  s.finishedAt = new Date().toISOString();
  const r = await incident.step('post-mortem', 'write report', () => act.writePostMortem(s), ['retry', 'skip']);
  if (r !== SKIPPED) {
    s.postMortem = r;
    incident.log('post-mortem', `report at ${r.url}`);
  }
  // The scanner's alerts are closed as revoked only when the credential really was.
  if (s.revocation) {
    for (const alert of new Map(s.reports.flatMap((rep) => (rep.exposure.alert ? [[`${rep.exposure.alert.repository}#${rep.exposure.alert.number}`, rep.exposure.alert] as const] : []))).values()) {
      const comment = `Revoked by Leakstop incident ${s.incidentId}${r !== SKIPPED ? `; post-mortem: ${r.url}` : ''}`;
      const closed = await incident.step('post-mortem', `close alert ${alert.repository}#${alert.number}`, () => act.resolveAlert(alert, comment), ['retry', 'skip']);
      if (closed !== SKIPPED) incident.record('post-mortem', `close alert ${alert.repository}#${alert.number}`, closed.summary);
    }
  }
  await incident.tell('post-mortem', 'finished', `incident ${s.status}${r !== SKIPPED ? `; post-mortem: ${r.url}` : ''}`);
}

/** Histories from before the validate-in-activity patch validated in the workflow: only their replays load the schema here. */
function validateHere(raw: unknown) {
  const { IncidentInputSchema } = require('../domain/incident-input') as typeof import('../domain/incident-input');
  return checkIncidentInput(IncidentInputSchema, raw);
}
