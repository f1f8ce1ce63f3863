import { ApplicationFailure, condition, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { durationMs } from '../domain/duration';
import { formatIssues } from '../domain/issues';
import { InTurn, LOCAL_ACTIVITIES_IN_TURN } from './in-turn';
import { identifyUpdate, pendingQuery, type IdentifyRequest, type Pending } from './identification-api';

type Activities = ReturnType<typeof createActivities>;
const { reportLeak } = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 10 } });
const { notify } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 5 } });
const { checkIdentification } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 3 } });

/** 2026-11: the identified credential is checked by a local activity (the provider modules' kinds). */
const CHECKED_BY_WORKER = 'identify-checked-by-worker';

/**
 * "Needs identification": waits, escalating every escalateAfter, until a person says which credential
 * leaked; then reports it like any trigger would, so the runbook starts. Never silently dropped.
 */
export async function identificationWorkflow(raw: unknown): Promise<Pending> {
  const parsed = schemas().PendingLeakSchema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: `pending leak is invalid:\n${formatIssues(parsed.error)}` });
  const p = parsed.data;
  // The identify update's check and the escalations' notifications are both local activities.
  const local = new InTurn(patched(LOCAL_ACTIVITIES_IN_TURN));
  const state: Pending = { status: 'needs identification', exposure: p.exposure, reason: p.reason, since: new Date().toISOString() };
  let request: IdentifyRequest | undefined;
  const incidentInput = (r: IdentifyRequest) => ({ provider: r.provider, credentialId: r.credentialId, exposure: p.exposure, requestedBy: r.by });

  setHandler(pendingQuery, () => state);
  setHandler(
    identifyUpdate,
    async (r) => {
      // The credential kinds are the provider modules', which the workflow sandbox does not load: a local
      // activity checks the named credential (2026-11, after 0.1.0; older histories never ran it).
      if (patched(CHECKED_BY_WORKER)) {
        const check = await local.run(() => checkIdentification(incidentInput(r)));
        if (!check.ok) throw ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: check.message.replace(/^incident input is invalid:\n/, '') });
      }
      if (request) throw ApplicationFailure.create({ type: 'ValidationError', nonRetryable: true, message: 'already identified' });
      request = r;
      return 'identified; reporting the incident';
    },
    {
      validator: (r) => {
        if (request) throw new Error('already identified');
        if (!r?.by) throw new Error('by: who identified it is required');
      },
    },
  );

  const tell = (message: string, kind: 'waiting' | 'done') =>
    local.run(() => notify({
      incidentId: workflowInfo().workflowId,
      phase: 'triage',
      kind,
      message,
      snapshot: { status: 'waiting', phase: 'triage', provider: 'unknown', credential: 'unidentified', severity: p.exposure.public ? 'critical' : 'high', waiting: [] },
    })).catch(() => undefined);

  await tell(`needs identification: ${p.reason}. Name the credential: leakstop incident identify ${workflowInfo().workflowId} --credential <id> --by <you>`, 'waiting');
  for (let round = 1; !(await condition(() => request !== undefined, durationMs(p.escalateAfter))); round++) {
    await tell(`ESCALATION ${round}: a leak still needs identification: ${p.reason}`, 'waiting');
  }
  const started = await reportLeak({ input: incidentInput(request!), pending: { id: workflowInfo().workflowId, seal: p.seal } });
  Object.assign(state, { status: 'identified', identifiedBy: request!.by, incidentId: started.incidentId });
  await tell(`identified by ${request!.by}: incident ${started.incidentId}`, 'done');
  return state;
}

/**
 * The schemas, loaded when this workflow first validates. Workflow modules are evaluated afresh for every
 * workflow, and zod's are costly: incident workflows, which never validate here, must not pay for them.
 */
function schemas() {
  return {
    ...(require('../domain/pending-leak') as typeof import('../domain/pending-leak')),
  };
}
