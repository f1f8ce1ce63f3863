import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { redactId } from '../domain/credential';
import { durationMs } from '../domain/duration';
import { LIMITS, severityOf, type Decision, type IncidentState, type ManualDoneRequest, type Waiting } from '../domain/incident';
import type { Plan } from '../domain/inventory';
import type { ActionResult, NewCredential } from '../domain/results';
import type { Report } from '../domain/incident-input';
import { PHASES, type Phase } from '../domain/phases';
import type { Origin } from '../domain/trust';
import { InTurn } from './in-turn';
import { abortUpdate, approveUpdate, decideUpdate, doneUpdate, noteSignal, reportSignal, SA, statusQuery, tightenUpdate } from './definitions';

// The machinery under the runbook: state, timeline, approval gates, and the rule that a step which
// fails for good waits for a person (retry / skip / abort) instead of failing the incident.

const { notify } = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5, initialInterval: '500ms', maximumInterval: '5s' },
});

export const SKIPPED = Symbol('skipped');
export type Skipped = typeof SKIPPED;

/** Thrown through the runbook once a person aborts; caught at the top. */
export class IncidentAborted extends Error {}

export class Incident {
  private aborted?: { by: string; reason: string };
  private readonly decisions = new Map<string, { decision: Decision; by: string; note?: string }>();
  private readonly approvals = new Map<Phase, string>();
  private readonly manualDone = new Map<string, ManualDoneRequest>();
  private readonly entered = new Set<Phase>();
  /** Further reports waiting to be checked and joined (workflows/incident.ts, joinReports). */
  readonly inbox: Report[] = [];
  /** The vault handle of a new credential once one is made, so that it is cleared however the incident ends. */
  madeHandle?: string;
  readonly scope = new CancellationScope();

  /** Local activities (notifications, report checks) one at a time: workflows/in-turn.ts. */
  constructor(readonly state: IncidentState, readonly local: InTurn = new InTurn(false)) {}

  listen(): void {
    const s = this.state;
    setHandler(statusQuery, () => s);
    setHandler(reportSignal, (report) => {
      // A flood of reports cannot grow the state: beyond the inbox's bound they are only counted. One that
      // claims authority displaces a plain one, so a flood cannot hide the report that lifts a hold.
      if (this.inbox.length < LIMITS.inbox) return void this.inbox.push(report);
      s.moreReports = (s.moreReports ?? 0) + 1;
      const plain = report.trust === 'authoritative' ? this.inbox.findIndex((r) => r.trust !== 'authoritative') : -1;
      if (plain >= 0) this.inbox.splice(plain, 1, report);
    });
    setHandler(
      tightenUpdate,
      ({ approvals, by }) => {
        const added = approvals.filter((p) => !s.tightened.includes(p));
        s.tightened.push(...added);
        if (s.policy) s.policy = { ...s.policy, approvals: [...new Set([...s.policy.approvals, ...added])] };
        this.log('incident', `policy tightened: ${added.join(', ') || 'nothing new'} now wait(s) for an approver`, by);
        return `${approvals.join(', ')} will wait for an approver`;
      },
      {
        validator: ({ approvals, by }) => {
          if (!by) throw new Error('by: who tightens the policy is required');
          if (!Array.isArray(approvals) || approvals.length === 0) throw new Error('approvals: name at least one phase');
          for (const p of approvals) {
            if (!(PHASES as readonly string[]).includes(p)) throw new Error(`approvals: "${String(p).slice(0, 40)}" is not a phase (${PHASES.join(', ')})`);
            if (this.entered.has(p)) throw new Error(`approvals: ${p} has already started`);
          }
          if (s.status === 'completed' || s.status === 'aborted') throw new Error(`incident is already ${s.status}`);
        },
      },
    );
    setHandler(noteSignal, ({ by, text }) => this.log('incident', `note: ${text.slice(0, 500)}`, by));
    setHandler(
      decideUpdate,
      ({ step, decision, by, note }) => {
        const w = this.waitingFor('decision', step)!;
        this.decisions.set(w.step, { decision, by, note });
        return `${decision} recorded for ${w.step}`;
      },
      {
        validator: ({ step, decision, by }) => {
          if (!by) throw new Error('by: who decides is required');
          const w = this.waitingFor('decision', step);
          if (!w) throw new Error(step ? `step: "${step}" is not waiting for a decision` : 'nothing is waiting for a decision');
          if (!w.options.includes(decision)) throw new Error(`decision: must be one of ${w.options.join(', ')} for ${w.step}`);
        },
      },
    );
    setHandler(
      approveUpdate,
      ({ phase, by }) => {
        this.approvals.set(phase, by);
        return `${phase} approved`;
      },
      {
        validator: ({ phase, by }) => {
          if (!by) throw new Error('by: who approves is required');
          if (!s.waiting.some((w) => w.kind === 'approval' && w.phase === phase)) {
            throw new Error(`phase: "${phase}" is not waiting for approval`);
          }
        },
      },
    );
    setHandler(
      doneUpdate,
      (req) => {
        const w = this.waitingFor('manual', req.step)!;
        this.manualDone.set(w.step, req);
        return `${w.step} marked done; verifying`;
      },
      {
        validator: ({ step, by, credential }) => {
          if (!by) throw new Error('by: who did it is required');
          const w = this.waitingFor('manual', step);
          if (!w) throw new Error(step ? `step: "${step}" is not a manual step in progress` : 'no manual step is waiting');
          if (w.phase === 'regenerate' && (!credential?.id || !credential.handle)) {
            throw new Error('credential: the replacement credential (id and vault handle) is required');
          }
        },
      },
    );
    setHandler(
      abortUpdate,
      ({ by, reason }) => {
        this.aborted = { by, reason };
        this.log('incident', `abort requested: ${reason}`, by);
        this.scope.cancel();
        return 'aborting';
      },
      {
        validator: ({ by, reason }) => {
          if (!by) throw new Error('by: who aborts is required');
          if (!reason) throw new Error('reason: say why the incident is aborted');
          if (s.status === 'completed' || s.status === 'aborted') throw new Error(`incident is already ${s.status}`);
        },
      },
    );
  }

  log(phase: Phase | 'incident', event: string, by?: string): void {
    const t = this.state.timeline;
    const text = event.length > LIMITS.eventLength ? `${event.slice(0, LIMITS.eventLength)}…` : event;
    t.push({ at: new Date().toISOString(), phase, event: text, ...(by ? { by: by.slice(0, 200) } : {}) });
    // Bounded: the first entries (how it started) stay, then the latest; what is dropped is counted.
    if (t.length > LIMITS.timeline) {
      t.splice(LIMITS.keepFirst, 1);
      this.state.timelineDropped = (this.state.timelineDropped ?? 0) + 1;
    }
  }

  addReport(report: Report): void {
    const s = this.state;
    if (s.reports.length < LIMITS.reports) s.reports.push(report);
    else s.moreReports = (s.moreReports ?? 0) + 1;
    const alert = report.exposure.alert;
    if (alert && s.alerts.length < LIMITS.alerts && !s.alerts.some((a) => a.repository === alert.repository && a.number === alert.number)) s.alerts.push(alert);
  }

  /** The inventory's plan, with approvals a person added before it was known (tighten during triage). */
  adoptPlan(plan: Plan, origin: Origin): void {
    const s = this.state;
    s.policy = { ...plan.policy, approvals: [...new Set([...plan.policy.approvals, ...s.tightened])] };
    s.trust = { origin, rule: plan.trust.rule, ...(plan.trust.held ? { held: plan.trust.held } : {}) };
  }

  /** An authoritative report arrived: the hold that an unproven report's trust put on a phase is lifted. */
  lift(by: string): void {
    const s = this.state;
    const held = s.trust?.held;
    if (!held || !s.policy || s.tightened.includes(held)) return;
    if (s.waiting.some((w) => w.kind === 'approval' && w.phase === held)) this.approvals.set(held, by);
    s.policy = { ...s.policy, approvals: s.policy.approvals.filter((p) => p !== held) };
    s.trust = { ...s.trust!, held: undefined };
    this.log(held, `the hold for an approver is lifted: ${by}`);
  }

  async enter(phase: Phase): Promise<void> {
    this.entered.add(phase);
    this.setPhase(phase);
    await this.tell(phase, 'started', `${phase} started`);
    await this.gate(phase);
  }

  /** The phase on the state and in the search attributes, without telling anyone. */
  setPhase(phase: Phase): void {
    this.entered.add(phase);
    this.state.phase = phase;
    upsertSearchAttributes([{ key: SA.phase, value: phase }]);
  }

  async tell(phase: string, kind: 'started' | 'progress' | 'done' | 'failed' | 'waiting' | 'finished', message: string) {
    const s = this.state;
    // A notifier that is down (Slack outage) must not stop the runbook: the failure goes on the timeline.
    // What the notification says is taken now, while it may wait its turn behind another local activity.
    const event = {
      incidentId: s.incidentId,
      phase,
      kind,
      message,
      snapshot: {
        status: s.status,
        phase: s.phase,
        provider: s.input.provider,
        credential: redactId(s.input.credentialId),
        owner: s.identification?.owner,
        severity: severityOf(s.input),
        waiting: [...s.waiting],
        postMortemUrl: s.postMortem?.url,
        source: s.input.exposure.source,
        startedAt: s.startedAt,
        ...(s.timeToContainMs !== undefined ? { timeToContainMs: s.timeToContainMs } : {}),
      },
    };
    await this.local.run(() => notify(event)).catch((err) => {
      if (isCancellation(err)) throw err;
      this.log(phase as Phase, `notification failed: ${failureMessage(err)}`);
    });
  }

  /**
   * Runs one step of a phase. Transient errors are retried by Temporal's retry policy; a step that
   * still fails waits for a person. `skip` returns SKIPPED, which the runbook must handle visibly.
   */
  async step<T>(phase: Phase, step: string, run: () => Promise<T>, options: Decision[] = ['retry', 'skip', 'abort']): Promise<T | Skipped> {
    // A step that offers no abort (the post-mortem) still runs after an abort.
    const abortable = options.includes('abort');
    for (;;) {
      if (abortable) this.throwIfAborted();
      try {
        return await run();
      } catch (err) {
        if (isCancellation(err) && abortable) this.throwIfAborted();
        const reason = failureMessage(err);
        this.state.actions.push({ phase, step, outcome: 'failed', detail: reason, at: new Date().toISOString() });
        this.log(phase, `${step} failed: ${reason}`);
        const answer = await this.waitForPerson({ kind: 'decision', phase, step, reason, options }, abortable);
        if (answer.decision === 'retry') continue;
        if (answer.decision === 'abort') {
          this.aborted = { by: answer.by, reason: answer.note ?? `aborted at ${step}` };
          throw new IncidentAborted();
        }
        this.record(phase, step, `skipped by ${answer.by}${answer.note ? `: ${answer.note}` : ''}`, 'skipped');
        return SKIPPED;
      }
    }
  }

  /**
   * A step only a person can do: show the instructions, wait for `done` (or abort), and hand back
   * the replacement credential the person registered. Verification follows in the runbook.
   */
  async manual(phase: Phase, step: string, instructions: string): Promise<NewCredential> {
    await this.waitForPerson({ kind: 'manual', phase, step, reason: instructions, options: ['done', 'abort'] });
    const done = this.manualDone.get(step)!;
    this.manualDone.delete(step);
    this.log(phase, `${step} done${done.note ? `: ${done.note}` : ''}`, done.by);
    return { id: done.credential!.id, handle: done.credential!.handle, removed: [] };
  }

  /**
   * A step only a person can do at the credential's issuer (revoke it there): show the instructions, wait
   * for `done` (or abort), and record who confirmed it.
   */
  async confirmed(phase: Phase, step: string, instructions: string): Promise<ActionResult> {
    await this.waitForPerson({ kind: 'manual', phase, step, reason: instructions, options: ['done', 'abort'] });
    const done = this.manualDone.get(step)!;
    this.manualDone.delete(step);
    return { summary: `${done.by} confirmed it is done at the issuer${done.note ? ` (${done.note.slice(0, 200)})` : ''}`, changed: true, at: new Date().toISOString() };
  }

  /** A yes/no question for a person, as a decision: retry means yes, skip means no. Escalated like any wait. */
  async choose(phase: Phase, step: string, reason: string): Promise<{ yes: boolean; by: string }> {
    const a = await this.waitForPerson({ kind: 'decision', phase, step, reason, options: ['retry', 'skip', 'abort'] });
    if (a.decision === 'abort') {
      this.aborted = { by: a.by, reason: a.note ?? `aborted at ${step}` };
      throw new IncidentAborted();
    }
    return { yes: a.decision === 'retry', by: a.by };
  }

  record(phase: Phase, step: string, detail: string, outcome: 'done' | 'skipped' = 'done'): void {
    this.state.actions.push({ phase, step, outcome, detail, at: new Date().toISOString() });
    this.log(phase, `${step}: ${detail}`);
  }

  private async gate(phase: Phase): Promise<void> {
    if (!this.state.policy?.approvals.includes(phase)) return;
    const trust = this.state.trust;
    const reason = trust?.held === phase ? `${phase} needs approval: ${trust.rule}` : `${phase} needs approval`;
    const by = await this.waitForPerson({ kind: 'approval', phase, step: phase, reason, options: ['approve'] });
    this.log(phase, `approved`, by.by);
  }

  private async waitForPerson(w: Omit<Waiting, 'since'>, abortable = true): Promise<{ decision: Decision; by: string; note?: string }> {
    const entry: Waiting = { ...w, since: new Date().toISOString() };
    const s = this.state;
    // What the incident was before it waited: a post-mortem that waits for a person after the runbook
    // ended must leave the incident completed or aborted, not running.
    const resumeAs = s.status === 'waiting' ? 'running' : s.status;
    s.waiting.push(entry);
    this.setStatus('waiting');
    await this.tell(w.phase, 'waiting', `${w.kind} needed: ${w.reason} (${w.options.join(' / ')})`);
    const answered = () =>
      (abortable && !!this.aborted) ||
      (w.kind === 'approval' ? this.approvals.has(w.phase) : w.kind === 'manual' ? this.manualDone.has(w.step) : this.decisions.has(w.step));
    const every = durationMs(s.policy?.escalateAfter ?? '15m');
    for (let round = 1; !(await condition(answered, every)); round++) {
      this.log(w.phase, `still waiting for a person after ${Math.round((round * every) / 1000)} s: escalated`);
      await this.tell(w.phase, 'waiting', `ESCALATION ${round}: ${w.step} still waits for a person: ${w.reason}`);
    }
    s.waiting.splice(s.waiting.indexOf(entry), 1);
    if (s.waiting.length === 0) this.setStatus(resumeAs);
    if (abortable) this.throwIfAborted();
    if (w.kind === 'approval') return { decision: 'retry', by: this.approvals.get(w.phase)! };
    if (w.kind === 'manual') return { decision: 'retry', by: this.manualDone.get(w.step)!.by };
    const answer = this.decisions.get(w.step)!;
    this.decisions.delete(w.step);
    this.log(w.phase, `${answer.decision} chosen for ${w.step}${answer.note ? `: ${answer.note}` : ''}`, answer.by);
    return answer;
  }

  private waitingFor(kind: Waiting['kind'], step?: string): Waiting | undefined {
    const candidates = this.state.waiting.filter((w) => w.kind === kind && (step === undefined || w.step === step));
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  throwIfAborted(): void {
    if (this.aborted) throw new IncidentAborted();
  }

  /** An abort that no person asked for through the update (a cancellation requested through Temporal). */
  abortAs(by: string, reason: string): void {
    this.aborted ??= { by, reason };
  }

  get abortedBy() {
    return this.aborted;
  }

  setStatus(status: IncidentState['status']): void {
    this.state.status = status;
    upsertSearchAttributes([{ key: SA.status, value: status }]);
  }
}

/** The innermost message of a failure: what a person needs to decide. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return `${e.message} (${e.type})`;
  return e instanceof Error ? e.message : String(e);
}
