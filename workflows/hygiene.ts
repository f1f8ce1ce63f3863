import { ApplicationFailure, condition, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { actionsSummary, checkApproval, type HygieneActions, type HygieneProgress, type ProposedKey } from '../domain/audit';
import { approveHygieneUpdate, hygieneStatusQuery } from './definitions';

type Activities = ReturnType<typeof createActivities>;

// The key-hygiene audit on a Temporal Schedule (worker/schedules.ts): one activity lists what the
// providers can list, holds it against the inventory's rules and writes the report; the schedule's
// runs (and their results) are in the Temporal UI's Schedules page. With the inventory's
// `hygiene.actions`, a run also acts on what it found: old keys' rotation schedules run now, and unused
// keys are deactivated once a named person approves them, within a bounded wait.

const { hygieneAudit, hygieneAuditPlan } = proxyActivities<Activities>({
  // Listing every IAM user's keys takes one request per key: minutes in a large account.
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError', 'PermanentError'] },
});

// Acting on the proposals: a few calls per key, no heartbeat. Each is safe to retry (writeHygieneReport
// replaces the report, deactivating an inactive key changes nothing, a triggered schedule skips overlaps).
const { deactivateUnusedKeys, triggerHygieneRotations, writeHygieneReport } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError', 'PermanentError'] },
});

/**
 * Acting on findings (inventory `hygiene.actions`): the audit, rotations triggered, an approval awaited,
 * keys deactivated, the report completed. Runs started before it replay the audit alone.
 */
export const HYGIENE_ACTIONS = 'hygiene-actions';

export interface HygieneInput {
  /** The audit's clock (ISO time); the run's start (the schedule's fire time) unless given. */
  at?: string;
}

export interface HygieneRun {
  summary: string;
  findings: number;
  listed: number;
  reportUrl: string;
  /** Providers that could not list: the run says so instead of looking clean. */
  notListed: string[];
  /** With `hygiene.actions` and something to act on: what was proposed, approved (by whom), deactivated, triggered, left. */
  actions?: HygieneActions;
  /** One line for a channel about `actions`. */
  actionSummary?: string;
}

/** One audit, at the workflow's start time (the schedule's fire time) or the `at` it was started with. */
export async function hygieneWorkflow(input: HygieneInput = {}): Promise<HygieneRun> {
  const acting = patched(HYGIENE_ACTIONS);
  const at = input.at ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(at))) throw ApplicationFailure.nonRetryable(`at: "${String(at).slice(0, 40)}" is not a time (ISO 8601)`, 'ConfigError');
  if (!acting) return hygieneAudit({ at });

  const runId = workflowInfo().workflowId;
  const progress: HygieneProgress = { status: 'auditing', actions: {} };
  let approval: { by: string; at: string; keys: string[] } | undefined;
  let proposed: ProposedKey[] = [];
  setHandler(hygieneStatusQuery, () => progress);
  setHandler(
    approveHygieneUpdate,
    (req) => {
      const checked = checkApproval(req, proposed);
      if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.message, 'InvalidApproval');
      approval = { by: checked.by, at: new Date().toISOString(), keys: checked.keys };
      progress.status = 'deactivating';
      return `approved by ${checked.by}: ${checked.keys.length} key(s) to deactivate`;
    },
    {
      validator: (req) => {
        if (progress.status !== 'waiting') throw new Error(`this run is not waiting for an approval (it is ${progress.status === 'done' ? 'finished' : progress.status})`);
        const checked = checkApproval(req, proposed);
        if (!checked.ok) throw new Error(checked.message);
      },
    },
  );

  const audit = await hygieneAuditPlan({ at });
  if ('done' in audit) {
    progress.status = 'done';
    return audit.done;
  }
  const { run, plan, markdown } = audit;
  const actions: HygieneActions = {};
  progress.actions = actions;

  // Old keys first: a rotation needs no approval, so it does not wait for one.
  if (plan.old.length) {
    progress.status = 'rotating';
    const rotations = plan.old.flatMap(({ rotation, ...key }) => (rotation ? [{ name: rotation, key }] : []));
    const byHand = plan.old.filter((k) => !k.rotation).map(({ rotation: _none, ...key }) => key);
    const done = rotations.length
      ? await triggerHygieneRotations({ runId, rotations }).catch((err) => ({ triggered: [], notTriggered: rotations.map((r) => ({ ...r, why: failed(err) })) }))
      : { triggered: [], notTriggered: [] };
    actions.rotation = { ...done, byHand };
  }

  let reportUrl = '';
  if (plan.unused.length) {
    proposed = plan.unused;
    const until = new Date(Date.now() + plan.approvalTimeoutMs).toISOString();
    actions.deactivation = { proposed, until, results: [], left: proposed };
    progress.status = 'waiting';
    // The wait starts now; the report, written meanwhile, says how to approve and until when.
    const answered = condition(() => approval !== undefined, plan.approvalTimeoutMs);
    reportUrl = (await writeHygieneReport({ at, runId, markdown, actions })).url;
    await answered;
    if (approval) {
      progress.status = 'deactivating';
      const chosen = proposed.filter((k) => approval!.keys.includes(k.id));
      // Failing for good (after its retries) still ends in a report that says so, not in a failed run.
      const results = await deactivateUnusedKeys({ runId, startedAt: workflowInfo().runStartTime.toISOString(), keys: chosen }).catch((err) =>
        chosen.map((k) => ({ id: k.id, display: k.display, outcome: 'failed' as const, summary: failed(err) })),
      );
      const inactive = new Set(results.filter((r) => r.outcome === 'deactivated' || r.outcome === 'already inactive').map((r) => r.id));
      actions.deactivation = { ...actions.deactivation, approval, results, left: proposed.filter((k) => !inactive.has(k.id)) };
    } else {
      actions.deactivation = { ...actions.deactivation, timedOut: true };
    }
  }
  progress.status = 'done';
  reportUrl = (await writeHygieneReport({ at, runId, markdown, actions })).url || reportUrl;
  return { ...run, reportUrl, actions, actionSummary: actionsSummary(actions) };
}

/** Why an activity failed for good, for the report (its cause: the provider's message, already redacted). */
function failed(err: unknown): string {
  const e = err as { cause?: { message?: string }; message?: string };
  return (e.cause?.message ?? e.message ?? String(err)).slice(0, 200);
}
