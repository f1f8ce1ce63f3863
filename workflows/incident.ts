import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { createActivities } from '../activities';
import { redactId } from '../domain/credential';
import { leakedHandle } from '../domain/handles';
import { severityOf, type IncidentState } from '../domain/incident';
import type { NewCredential, Verification } from '../domain/results';
import type { ResolvedConsumer } from '../domain/schemas';
import type { Origin } from '../domain/trust';
import { SA } from './definitions';
import { failureMessage, Incident, IncidentAborted, SKIPPED } from './incident-state';
import { InTurn, LOCAL_ACTIVITIES_IN_TURN } from './in-turn';

export * from './definitions';

type Activities = ReturnType<typeof createActivities>;

// Versioning (README, "Changing a workflow"): histories recorded at the 0.1.0 boundary live in
// test/histories/ and must replay. A change to the commands this workflow issues goes behind patched(),
// asked before the first await; later deprecatePatch(), then removal once no history needs it.

/** 2026-11, after 0.1.0: a replacement a person made is verified before it is written anywhere. */
const CHECK_REPLACEMENT_FIRST = 'check-replacement-first';
/** 2026-11, after 0.1.0: a new credential's vault entry is cleared however the incident ends (it was not on abort). */
const FORGET_NEW_ALWAYS = 'forget-new-always';
/** 2026-11, after 0.1.0: a cancellation requested through Temporal ends the incident like an abort, post-mortem included. */
const CANCEL_ENDS_LIKE_ABORT = 'cancel-ends-like-abort';
/** 2026-11, after 0.1.0: the inventory's discovery sources are searched for unlisted copies while containment runs. */
const DISCOVER_CONSUMERS = 'discover-consumers';

export const retry: RetryPolicy = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 6,
  // Retrying cannot fix these: the step goes to a person instead.
  nonRetryableErrorTypes: ['PermanentError', 'ValidationError', 'ConfigError'],
};
// Provider calls take well under a second; a short timeout lets a crashed worker's attempt be
// retried elsewhere quickly. Verification waits for a new key to propagate, so it gets longer.
export const providerCalls = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry });
export const propagationChecks = proxyActivities<Activities>({ startToCloseTimeout: '60s', retry });
const workerLocal = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry });
// Deploys can take long; the heartbeat lets a crashed worker's attempt be retried within seconds.
const deploys = proxyActivities<Activities>({ startToCloseTimeout: '2h', heartbeatTimeout: '10s', retry });
// Discovery bounds each source itself (the inventory's discovery.timeout, 30 s by default).
const discovery = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });

/**
 * The leaked-credential runbook: triage, blast radius, contain, regenerate, update environments,
 * redeploy, verify, revoke, post-mortem. The workflow id is derived from the credential's
 * fingerprint, so every report of one credential lands here.
 */
export async function incidentWorkflow(rawInput: unknown): Promise<IncidentState> {
  // Patches are asked before the first await (a query can end the first workflow task early).
  const checkReplacementFirst = patched(CHECK_REPLACEMENT_FIRST);
  const forgetNewAlways = patched(FORGET_NEW_ALWAYS);
  const cancelEndsLikeAbort = patched(CANCEL_ENDS_LIKE_ABORT);
  const discoverConsumers = patched(DISCOVER_CONSUMERS);
  const localInTurn = new InTurn(patched(LOCAL_ACTIVITIES_IN_TURN));
  const checked = await workerLocal.validateIncidentInput({ raw: rawInput, workflowId: workflowInfo().workflowId });
  if (!checked.ok) {
    // Started by hand (Temporal UI) with bad input: fail at once, naming each field.
    throw ApplicationFailure.create({ type: 'ValidationError', message: checked.message, nonRetryable: true, details: [checked.fields] });
  }
  const input = checked.input;
  const origin = checked.origin!;
  const incident = new Incident({
    incidentId: workflowInfo().workflowId,
    input,
    status: 'running',
    phase: 'triage',
    startedAt: workflowInfo().startTime.toISOString(),
    tightened: [],
    reports: [{ exposure: input.exposure, requestedBy: input.requestedBy }],
    alerts: input.exposure.alert ? [input.exposure.alert] : [],
    consumers: [],
    storeWrites: [],
    deploys: [],
    actions: [],
    timeline: [],
    waiting: [],
  }, localInTurn);
  incident.listen();
  void joinReports(incident);
  upsertSearchAttributes([
    { key: SA.provider, value: input.provider },
    { key: SA.credential, value: redactId(input.credentialId) },
    { key: SA.severity, value: severityOf(input) },
  ]);
  incident.setStatus('running');
  incident.log('incident', `reported via ${input.exposure.source}${origin.sealed ? '' : ' (started by hand, unsealed)'}: ${redactId(input.credentialId)}`, input.requestedBy);

  let fresh: NewCredential | undefined;
  try {
    await incident.scope.run(async () => {
      fresh = await runbook(incident, origin, checkReplacementFirst, discoverConsumers);
    });
    incident.setStatus('completed');
  } catch (err) {
    // An incident is never silently dropped: a cancellation from Temporal (UI, CLI) is recorded as an abort.
    if (cancelEndsLikeAbort && isCancellation(err) && !incident.abortedBy) incident.abortAs('temporal', 'cancellation requested through Temporal');
    if (!(err instanceof IncidentAborted) && !incident.abortedBy) throw err;
    const { by, reason } = incident.abortedBy!;
    incident.log('incident', `aborted: ${reason}`, by);
    incident.setStatus('aborted');
  }
  // The post-mortem is written whatever happened: an incident is never silently dropped.
  await CancellationScope.nonCancellable(async () => {
    await postMortem(incident);
    await forget(incident, forgetNewAlways ? incident.madeHandle : fresh?.handle);
  });
  return incident.state;
}

/** Returns the new credential when one was made, so that its vault entry can be deleted at the end. */
async function runbook(incident: Incident, origin: Origin, checkReplacementFirst: boolean, discoverConsumers: boolean): Promise<NewCredential | undefined> {
  const s = incident.state;
  const { provider } = s.input;
  const cred = { id: s.input.credentialId, secretHandle: leakedHandle(provider, s.input.credentialId) };
  const ctx = () => ({ incidentId: s.incidentId, startedAt: s.startedAt, policy: s.policy! });

  // Triage: who owns it, is it live, what does the inventory say; and with it, the first containment.
  // Nothing stands between the report and containment: no notification before this activity.
  incident.setPhase('triage');
  const first = await incident.step(
    'triage',
    'identify',
    () => providerCalls.firstResponse({ provider, cred, origin, incident: { incidentId: s.incidentId, startedAt: s.startedAt } }),
    ['retry', 'abort'],
  );
  if (first === SKIPPED) return undefined;
  const { identification: id, plan } = first;
  s.identification = id;
  if (first.stoppedRotations?.length) incident.log('triage', `stopped the scheduled rotation ${first.stoppedRotations.join(', ')}: this incident makes the new credential`);
  incident.adoptPlan(plan, origin);
  s.consumers = plan.consumers;
  // Triage is done here; its message is the thread's first reply and says plainly which trust rule applied.
  await incident.tell('triage', 'done', `identified${first.containment ? '; the key is already contained' : ''}. ${plan.trust.rule}`);
  incident.log('triage', plan.trust.rule);
  incident.record('triage', 'identify', `owner ${id.owner}, key ${id.status}, ${plan.consumers.length} consumer(s)${plan.matched ? ` (inventory: ${plan.matched})` : ' (not in the inventory)'}`);
  const owner = id.owner;
  // Copies the inventory does not list are searched for while containment and the blast radius run.
  const discovering = discoverConsumers && plan.discover
    ? incident.step('blast-radius', 'discover', () => discovery.discoverConsumers({ provider, credentialId: s.input.credentialId, known: s.consumers.map((c) => ({ store: c.store, key: c.key })) }), ['retry', 'skip', 'abort'])
    : undefined;

  const contain = async () => {
    await incident.enter('contain');
    if (first.containmentFailed) incident.log('contain', `first response could not contain: ${first.containmentFailed}; trying again as a step`);
    const asked = first.containment ?? (await incident.step('contain', 'deactivate key', () => providerCalls.contain(provider, cred, owner, ctx())));
    if (asked === SKIPPED) return;
    // Only a person can contain it (the guided runbook): the instructions, then their confirmation.
    const r = 'manual' in asked ? await incident.confirmed('contain', 'revoke at the issuer', asked.instructions) : asked;
    s.containment = r;
    s.timeToContainMs = Date.parse(r.at ?? new Date().toISOString()) - Date.parse(s.startedAt);
    incident.record('contain', 'deactivate key', r.summary);
    await incident.tell('contain', 'done', `contained: ${r.summary}`);
  };
  const blastRadius = async () => {
    await incident.enter('blast-radius');
    const r = await incident.step('blast-radius', 'describe', () => providerCalls.describe(provider, cred, owner));
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

  if (discovering) await adoptDiscovered(incident, await discovering);

  await incident.enter('regenerate');
  const made = await incident.step('regenerate', 'create key', () => providerCalls.regenerate(provider, cred, owner, ctx()));
  const fresh =
    made !== SKIPPED && 'manual' in made
      ? checkReplacementFirst
        ? await checkedReplacement(incident, made.instructions, (replacement) => propagationChecks.verify(provider, cred, owner, replacement))
        : await incident.manual('regenerate', 'create replacement', made.instructions)
      : made;
  if (fresh !== SKIPPED) {
    incident.madeHandle = fresh.handle;
    s.newCredential = { id: fresh.id, removed: fresh.removed };
    incident.record('regenerate', 'create key', `new key ${redactId(fresh.id)}${fresh.removed.length ? `; removed ${fresh.removed.map(redactId).join(', ')}` : ''}`);
    await incident.tell('regenerate', 'done', `rotated: new credential ${redactId(fresh.id)}`);
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
    const v = await incident.step('verify', 'check keys', () => propagationChecks.verify(provider, cred, owner, fresh));
    if (v !== SKIPPED) {
      s.verification = v;
      incident.record('verify', 'check keys', v.detail);
      await incident.tell('verify', 'done', `verified: ${v.detail}`);
    }
  }

  await incident.enter('revoke');
  const asked = await incident.step('revoke', 'delete key', () => providerCalls.revoke(provider, cred, owner, ctx()));
  const revoked = asked !== SKIPPED && 'manual' in asked ? await incident.confirmed('revoke', 'delete at the issuer', asked.instructions) : asked;
  if (revoked !== SKIPPED) {
    s.revocation = revoked;
    incident.record('revoke', 'delete key', revoked.summary);
    await incident.tell('revoke', 'done', `revoked: ${revoked.summary}`);
  }
  return fresh === SKIPPED ? undefined : fresh;
}

/**
 * A replacement a person made and registered: verified before it is written to any store. One that does
 * not work (a typo, the wrong account, the leaked token again) is refused on the timeline, and the step
 * waits for another.
 */
export async function checkedReplacement(incident: Incident, instructions: string, check: (fresh: NewCredential) => Promise<Verification>): Promise<NewCredential> {
  const forgetRefused = (refused: NewCredential) => providerCalls.forgetSecret(refused.handle).catch((err) => incident.log('regenerate', `could not clear the vault: ${failureMessage(err)}`));
  for (let ask = instructions; ; ) {
    const fresh = await incident.manual('regenerate', 'create replacement', ask);
    try {
      const v = await check(fresh);
      incident.record('regenerate', 'check replacement', `before it is written anywhere: ${v.detail}`);
      return fresh;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const why = failureMessage(err);
      incident.log('regenerate', `the replacement was refused, nothing was written: ${why}; waiting for another`);
      await forgetRefused(fresh);
      ask = `The replacement you registered was refused (${why}). ${instructions}`;
    }
  }
}

/**
 * What discovery found: recorded; then, by the inventory's `discovery.discovered`, the writable places
 * become consumers at once (`update`), after a person says yes (`ask`), or are only reported.
 */
async function adoptDiscovered(incident: Incident, d: Awaited<ReturnType<Activities['discoverConsumers']>> | typeof SKIPPED): Promise<void> {
  if (d === SKIPPED || !d) return;
  const s = incident.state;
  s.discovered = { places: d.places, mode: d.mode, problems: d.problems, ms: d.ms };
  for (const problem of d.problems) incident.log('blast-radius', `discovery: ${problem}`);
  if (d.places.length === 0) return incident.log('blast-radius', `discovery found no copy the inventory does not list (${d.ms} ms)`);
  const where = d.places.map((p) => `${p.store} ${p.key}${p.matchedBy === 'name' ? ' (unverified: by name)' : p.field ? '' : ' (inside other text)'}`).join(', ');
  incident.log('blast-radius', `discovery found ${d.places.length} place(s) the inventory does not list, in ${d.ms} ms: ${where}`);
  if (d.consumers.length === 0 || d.mode === 'report') return;
  let by = 'policy (discovery.discovered: update)';
  if (d.mode === 'ask') {
    const names = [...new Set(d.consumers.map((c) => `${c.store} ${c.key}`))].join(', ');
    const restarts = d.consumers.filter((c) => c.deployerSpec).map((c) => c.name);
    const redeploy = restarts.length ? `then ${restarts.length} redeploy(s) of what runs from them: ${restarts.join(', ')}` : 'nothing found runs from them, so nothing is redeployed';
    const answer = await incident.choose(
      'blast-radius',
      'add discovered places',
      `discovery found this credential in ${names}, which the inventory does not list. Retry adds them to this incident's consumers: the new credential is written there, ${redeploy}; skip leaves them out (the post-mortem lists them)`,
    );
    if (!answer.yes) return incident.log('blast-radius', 'the discovered places were left out', answer.by);
    by = answer.by;
  }
  s.consumers.push(...d.consumers);
  s.discovered.added = { by, names: d.consumers.map((c) => c.name) };
  incident.log('blast-radius', `added ${d.consumers.length} discovered consumer(s): ${d.consumers.map((c) => c.name).join(', ')}`, by);
}

/**
 * Further reports of the same credential, one at a time: each is checked by a local activity (its seal),
 * then joins the incident. An authoritative one lifts a hold its predecessors' trust put on the runbook.
 */
async function joinReports(incident: Incident): Promise<void> {
  const s = incident.state;
  for (;;) {
    // Cancelled with the workflow: the incident's ending is the runbook's business, not this loop's.
    if (!(await condition(() => incident.inbox.length > 0).then(() => true, (err) => (isCancellation(err) ? false : Promise.reject(err))))) return;
    const raw = incident.inbox.shift()!;
    const { report, origin, droppedAlert } = await incident.local.run(() => workerLocal.checkReport({ provider: s.input.provider, credentialId: s.input.credentialId, report: raw }));
    incident.addReport(report);
    const where = report.exposure.url ? ` (${report.exposure.url})` : '';
    incident.log('incident', `reported again via ${report.exposure.source}${where}${origin.sealed ? '' : ' (unsealed)'}`, report.requestedBy);
    if (droppedAlert) incident.log('incident', 'the report named a scanner alert without a seal from Leakstop: the alert is ignored');
    if (origin.trust === 'authoritative') incident.lift(`${report.exposure.source} (authoritative report)`);
  }
}
export async function updateEnvironments(incident: Incident, fresh: NewCredential, ctx: () => Parameters<Activities['updateEnvironment']>[0]['ctx']) {
  const s = incident.state;
  await incident.enter('update-environments');
  await Promise.all(
    s.consumers.map(async (consumer) => {
      const step = `write ${consumer.name}`;
      const w = await incident.step('update-environments', step, () => providerCalls.updateEnvironment({ provider: s.input.provider, consumer, handle: fresh.handle, ctx: ctx() }));
      if (w === SKIPPED) return;
      s.storeWrites.push(w);
      incident.record('update-environments', step, `${w.store} ${w.key} version ${w.version}${w.changed ? '' : ' (already current)'}`);
    }),
  );
}

export async function redeploy(incident: Incident, ctx: () => Parameters<Activities['redeploy']>[1]) {
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
        const handle = await providerCalls.redeploy(consumer, ctx());
        return deploys.awaitDeploy(handle, consumer.deployerSpec);
      });
      if (r === SKIPPED) return;
      s.deploys.push(r);
      incident.record('redeploy', step, `deploy ${r.id} ${r.status}`);
      await incident.tell('redeploy', 'done', `deployed ${consumer.name}: ${r.id} ${r.status}`);
    }),
  );
}

async function postMortem(incident: Incident): Promise<void> {
  const s = incident.state;
  s.phase = 'post-mortem';
  upsertSearchAttributes([{ key: SA.phase, value: 'post-mortem' }]);
  s.finishedAt = new Date().toISOString();
  const r = await incident.step('post-mortem', 'write report', () => providerCalls.writePostMortem(s), ['retry', 'skip']);
  if (r !== SKIPPED) {
    s.postMortem = r;
    incident.log('post-mortem', `report at ${r.url}`);
  }
  // The scanner's alerts are closed as revoked only when the credential really was, and only alerts
  // that Leakstop's own GitHub endpoint read back (sealed): a sender cannot get an unrelated alert closed.
  if (s.revocation) {
    for (const alert of s.alerts) {
      const comment = `Revoked by Leakstop incident ${s.incidentId}${r !== SKIPPED ? `; post-mortem: ${r.url}` : ''}`;
      const closed = await incident.step('post-mortem', `close alert ${alert.repository}#${alert.number}`, () => providerCalls.resolveAlert(alert, comment), ['retry', 'skip']);
      if (closed !== SKIPPED) incident.record('post-mortem', `close alert ${alert.repository}#${alert.number}`, closed.summary);
    }
  }
  await incident.tell('post-mortem', 'finished', `incident ${s.status}${r !== SKIPPED ? `; post-mortem: ${r.url}` : ''}`);
}

/** What the incident no longer needs leaves the vault: the leaked secret and its facts, a new key not yet stored. */
async function forget(incident: Incident, newHandle: string | undefined): Promise<void> {
  const { provider, credentialId } = incident.state.input;
  await providerCalls.forgetLeaked({ provider, credentialId }).catch((err) => incident.log('post-mortem', `could not clear the vault: ${failureMessage(err)}`));
  if (newHandle) await providerCalls.forgetSecret(newHandle).catch((err) => incident.log('post-mortem', `could not clear the vault: ${failureMessage(err)}`));
}
