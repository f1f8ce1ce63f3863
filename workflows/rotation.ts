import { CancellationScope, isCancellation, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { redactId } from '../domain/credential';
import { leakedHandle } from '../domain/handles';
import type { IncidentState } from '../domain/incident';
import type { NewCredential } from '../domain/results';
import { nextWindowStart, type RotationFacts } from '../domain/rotation-window';
import { SA, supersedeSignal } from './definitions';
import { InTurn } from './in-turn';
import { checkedReplacement, propagationChecks, providerCalls, redeploy, retry, updateEnvironments } from './incident';
import { failureMessage, Incident, IncidentAborted, SKIPPED } from './incident-state';

type Activities = ReturnType<typeof createActivities>;

// A scheduled rotation (worker/schedules.ts starts one per credential entry with `rotateEvery`): the
// runbook without a leak. Nothing is contained: regenerate, write every consumer, redeploy, verify, and
// only then revoke the old credential, so nothing that uses it breaks (zero downtime). Approvals per the
// entry's `rotation.approvals`; a regeneration only a person can do becomes a reminder that escalates
// until the replacement is registered. A rotation record is written instead of a post-mortem. The same
// signals and updates as an incident (status, approve, decide, done, abort) drive it from the CLI, Slack
// and the Temporal UI. A new workflow type: no history of the incident workflow is touched.

// The owner's credentials are listed to find the one in use: one request per key in a large account.
const planning = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });

export interface RotationInput {
  /** The credential entry's rotation key (its schedule's name). */
  credential: string;
}

export async function rotationWorkflow(input: RotationInput): Promise<IncidentState> {
  const key = String(input?.credential ?? '');
  const info = workflowInfo();
  const plan = await planning.planRotation({ key });
  const rotation: RotationFacts = { key, ...(plan.credentialId ? { oldCredentialId: plan.credentialId } : {}), ...(plan.window ? { window: plan.window } : {}), ...(plan.nothing ? { nothing: plan.nothing } : {}) };
  const incident = new Incident(
    {
      incidentId: info.workflowId,
      input: { provider: plan.provider, credentialId: plan.credentialId ?? '', exposure: { source: 'schedule', public: false }, requestedBy: `schedule ${key}` },
      status: 'running',
      phase: 'triage',
      startedAt: info.startTime.toISOString(),
      policy: plan.policy,
      tightened: [],
      reports: [],
      alerts: [],
      identification: { owner: plan.owner, status: 'active', lastUsed: { unknown: true, reason: 'not looked up for a scheduled rotation' } },
      consumers: plan.consumers,
      storeWrites: [],
      deploys: [],
      actions: [],
      timeline: [],
      waiting: [],
      rotation,
    },
    new InTurn(true),
  );
  incident.listen();
  // A leak of this credential was reported (activities' firstResponse says so): the incident takes
  // over, containment first; this run stops, and a key it made is deleted so one new key remains.
  setHandler(supersedeSignal, ({ incidentId }) => {
    if (rotation.supersededBy || incident.state.status === 'completed' || incident.state.status === 'aborted') return;
    rotation.supersededBy = incidentId;
    incident.abortAs(`incident ${incidentId}`, 'a leak of this credential was reported: the incident takes over');
    incident.scope.cancel();
  });
  upsertSearchAttributes([
    { key: SA.provider, value: plan.provider },
    { key: SA.credential, value: plan.credentialId ? redactId(plan.credentialId) : key },
    { key: SA.severity, value: 'low' },
  ]);
  incident.setStatus('running');
  incident.log('incident', `scheduled rotation of ${key}${plan.credentialId ? `: ${redactId(plan.credentialId)} of ${plan.owner}` : ''}`, `schedule ${key}`);

  try {
    if (plan.nothing || !plan.credentialId) {
      incident.log('incident', `nothing to rotate: ${plan.nothing ?? 'no credential'}`);
    } else {
      await incident.scope.run(() => rotate(incident, plan.credentialId!));
    }
    incident.setStatus('completed');
  } catch (err) {
    if (isCancellation(err)) incident.abortAs('temporal', 'cancellation requested through Temporal');
    if (!(err instanceof IncidentAborted) && !incident.abortedBy) throw err;
    const { by, reason } = incident.abortedBy!;
    incident.log('incident', `aborted: ${reason}`, by);
    incident.setStatus('aborted');
  }
  await CancellationScope.nonCancellable(async () => {
    if (rotation.supersededBy && incident.state.newCredential && !incident.state.revocation) await dropNewKey(incident);
    await record(incident, rotation);
    // The new credential's material leaves the vault once it is in every store (or the run ended).
    if (incident.madeHandle) await providerCalls.forgetSecret(incident.madeHandle).catch((err) => incident.log('post-mortem', `could not clear the vault: ${failureMessage(err)}`));
  });
  return incident.state;
}

async function rotate(incident: Incident, credentialId: string): Promise<void> {
  const s = incident.state;
  const provider = s.input.provider;
  const owner = s.identification!.owner;
  const cred = { id: credentialId, secretHandle: leakedHandle(provider, credentialId) };
  const ctx = () => ({ incidentId: s.incidentId, startedAt: s.startedAt, policy: s.policy! });

  // Outside the window, wait for it: a durable timer (an abort ends the wait).
  const opens = nextWindowStart(new Date(), s.rotation!.window);
  if (opens.getTime() > Date.now()) {
    s.rotation!.waitedUntil = opens.toISOString();
    incident.log('triage', `outside the rotation window: waiting until ${opens.toISOString()}`);
    await sleep(opens.getTime() - Date.now());
  }

  await incident.enter('regenerate');
  const made = await incident.step('regenerate', 'create key', () => providerCalls.regenerate(provider, cred, owner, ctx()));
  if (made === SKIPPED) {
    incident.record('regenerate', 'create key', 'skipped: nothing else runs, the old credential stays in use', 'skipped');
    return;
  }
  // Only a person can make the replacement: a reminder with the instructions, escalated until it comes.
  const fresh: NewCredential = 'manual' in made ? await checkedReplacement(incident, `Scheduled rotation: ${made.instructions}`, (r) => propagationChecks.verify(provider, cred, owner, r)) : made;
  incident.madeHandle = fresh.handle;
  s.newCredential = { id: fresh.id, removed: fresh.removed };
  incident.record('regenerate', 'create key', `new credential ${redactId(fresh.id)}`);
  await updateEnvironments(incident, fresh, ctx);
  await redeploy(incident, ctx);

  await incident.enter('verify');
  const v = await incident.step('verify', 'check keys', () => propagationChecks.verify(provider, cred, owner, fresh));
  if (v !== SKIPPED) {
    s.verification = v;
    incident.record('verify', 'check keys', v.detail);
  }
  // The old credential goes last, once every consumer has the new one (a skipped write or deploy keeps it).
  const missing = s.consumers.filter((c) => !s.storeWrites.some((w) => w.consumer === c.name) || (c.deploy && !s.deploys.some((d) => d.consumer === c.name && d.status === 'succeeded')));
  await incident.enter('revoke');
  if (missing.length || v === SKIPPED) {
    const why = missing.length ? `${missing.map((c) => c.name).join(', ')} may still use it` : 'the new credential was not verified';
    incident.record('revoke', 'delete old key', `kept: ${why}; revoke it by hand once they are updated`, 'skipped');
    return;
  }
  const asked = await incident.step('revoke', 'delete old key', () => providerCalls.revoke(provider, cred, owner, ctx()));
  const revoked = asked !== SKIPPED && 'manual' in asked ? await incident.confirmed('revoke', 'delete at the issuer', asked.instructions) : asked;
  if (revoked !== SKIPPED) {
    s.revocation = revoked;
    incident.record('revoke', 'delete old key', revoked.summary);
  }
}

/**
 * The run was superseded by an incident after it made a new credential: that credential is deleted (the
 * incident makes its own, and writes every consumer again), so one new credential remains in the end.
 */
async function dropNewKey(incident: Incident): Promise<void> {
  const s = incident.state;
  const fresh = s.newCredential!;
  const cred = { id: fresh.id, secretHandle: leakedHandle(s.input.provider, fresh.id) };
  const dropped = await incident.step('revoke', 'delete the rotation\'s new key', () => providerCalls.revoke(s.input.provider, cred, s.identification!.owner, { incidentId: s.incidentId, startedAt: s.startedAt, policy: s.policy! }), ['retry', 'skip']);
  if (dropped !== SKIPPED && !('manual' in dropped)) incident.record('revoke', 'delete the rotation\'s new key', `${dropped.summary}: incident ${s.rotation!.supersededBy} makes the new credential`);
}

/** The rotation record, and its line in the notifier's channel (Slack). */
async function record(incident: Incident, rotation: RotationFacts): Promise<void> {
  const s = incident.state;
  s.phase = 'post-mortem';
  upsertSearchAttributes([{ key: SA.phase, value: 'post-mortem' }]);
  s.finishedAt = new Date().toISOString();
  // Named like the reports the sinks keep (leak-…): the schedule's run ids carry upper case and colons.
  const name = `leak-rotation-${rotation.key}-${s.startedAt.slice(0, 16).replace(/[-:]/g, '').toLowerCase()}`;
  const r = await incident.step('post-mortem', 'write rotation record', () => providerCalls.writeRotationRecord({ name, state: { ...s, rotation } }), ['retry', 'skip']);
  if (r !== SKIPPED) {
    s.postMortem = r;
    incident.log('post-mortem', `rotation record at ${r.url}`);
  }
  const what = s.newCredential ? `${rotation.oldCredentialId ? redactId(rotation.oldCredentialId) : 'the credential'} replaced by ${redactId(s.newCredential.id)}; ${s.storeWrites.length} consumer(s) written, ${s.deploys.length} redeployed${s.revocation ? ', old one revoked' : ', old one kept'}` : rotation.nothing ? `nothing rotated: ${rotation.nothing}` : 'no new credential';
  await incident.tell('post-mortem', 'finished', `rotation of ${rotation.key} ${s.status}: ${what}${r !== SKIPPED ? `; record: ${r.url}` : ''}`);
}
