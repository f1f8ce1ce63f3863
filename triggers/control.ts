import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { AbortRequest, ApprovalRequest, DecisionRequest, IncidentState, ManualDoneRequest, TightenRequest } from '../domain/incident';
import { abortUpdate, approveHygieneUpdate, approveUpdate, decideUpdate, doneUpdate, INCIDENT_WORKFLOW_TYPE, noteSignal, statusQuery, tightenUpdate } from '../workflows/definitions';
import type { HygieneApproval } from '../domain/audit';
import { IDENTIFICATION_WORKFLOW_TYPE, identifyUpdate, type IdentifyRequest, type PendingLeak } from '../workflows/identification-api';
import type { identificationWorkflow } from '../workflows/identification';
import { pendingSeal, type Sealer } from '../domain/seal';
import type { Trust } from '../domain/trust';
import { reportLeak, type Started } from './incidents';
import { ROTATION_NAME, rotationScheduleId } from '../domain/rotation';

/**
 * What every human-facing trigger (CLI, Slack, webhooks) may do with incidents, over the real
 * Temporal client. Updates are validated inside the workflow; a refusal surfaces as
 * WorkflowUpdateFailedError whose cause carries the validator's message (which names the field).
 */
export class IncidentControl {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    /** Seals what this trigger vouches for; without it every report counts as a plain, unsealed one. */
    private readonly sealer?: Sealer,
    /**
     * Ask the server to hand a new incident's first workflow task straight back to a worker of this
     * process (Temporal's eager workflow start), skipping matching: only when `client` is built on that
     * worker's NativeConnection (worker/main.ts, LEAKSTOP_ROLE=all).
     */
    private readonly o: { eagerStart?: boolean } = {},
  ) {}

  /** `trust`: what the trigger that received the report established (domain/trust.ts). */
  report(raw: unknown, trust: Trust = 'reported'): Promise<Started> {
    return reportLeak(this.client, this.taskQueue, raw, this.sealer && { sealer: this.sealer, trust }, this.o);
  }

  status(incidentId: string): Promise<IncidentState> {
    return this.client.workflow.getHandle(incidentId).query(statusQuery);
  }

  /** Open incidents, newest first (visibility query on the workflow type and status). */
  async listOpen(limit = 20): Promise<{ incidentId: string; startTime: Date }[]> {
    const out: { incidentId: string; startTime: Date }[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'` })) {
      out.push({ incidentId: wf.workflowId, startTime: wf.startTime });
      if (out.length >= limit) break;
    }
    return out;
  }

  approve(incidentId: string, req: ApprovalRequest): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(approveUpdate, { args: [req] });
  }

  /** More phases wait for an approver on this incident; an approver's act, recorded on the timeline. */
  tighten(incidentId: string, req: TightenRequest): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(tightenUpdate, { args: [req] });
  }

  decide(incidentId: string, req: DecisionRequest & { step?: string }): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(decideUpdate, { args: [req] });
  }

  done(incidentId: string, req: ManualDoneRequest): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(doneUpdate, { args: [req] });
  }

  /**
   * A leak nobody could name yet: a durable "needs identification" record that a person completes with
   * `identify`. One per alert (a second delivery of the same alert finds the first).
   */
  async awaitIdentification(reference: string, pending: PendingLeak): Promise<{ pendingId: string }> {
    // The readable part is lossy (sanitised, cut), so the id ends in a hash of the exact alert: the
    // reference and the alert the exposure names. The reference alone is not enough: GitHub's joins
    // owner, repository and number with '-', which names may hold (`acme-api/x#5`, `acme/api-x#5`).
    const exact = JSON.stringify([reference, pending.exposure.alert ?? null]);
    const hash = createHash('sha256').update(exact).digest('hex').slice(0, 12);
    const pendingId = `leak-unidentified-${reference.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120)}-${hash}`;
    await this.client.workflow.start<typeof identificationWorkflow>(IDENTIFICATION_WORKFLOW_TYPE, {
      workflowId: pendingId,
      taskQueue: this.taskQueue,
      args: [this.sealer ? { ...pending, seal: this.sealer.seal(pendingSeal(pendingId, pending.exposure.source, pending.exposure.alert)) } : pending],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { pendingId };
  }

  identify(pendingId: string, req: IdentifyRequest): Promise<string> {
    return this.client.workflow.getHandle(pendingId).executeUpdate(identifyUpdate, { args: [req] });
  }

  /** Adds a note to the incident's timeline (who did or tried what). */
  note(incidentId: string, by: string, text: string): Promise<void> {
    return this.client.workflow.getHandle(incidentId).signal(noteSignal, { by, text });
  }

  abort(incidentId: string, req: AbortRequest): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(abortUpdate, { args: [req] });
  }

  /**
   * Approves a key-hygiene run's proposal: the named person lets it deactivate the unused keys it proposed
   * (all, or those in `keys`). The run refuses keys it did not propose, and an approval once it stopped waiting.
   */
  approveHygiene(runId: string, req: HygieneApproval): Promise<string> {
    return this.client.workflow.getHandle(runId).executeUpdate(approveHygieneUpdate, { args: [req] });
  }

  /** The scheduled rotations of this deployment (made from the inventory at worker start), by name. */
  async listRotations(): Promise<{ name: string; paused: boolean; note?: string; next?: Date }[]> {
    const prefix = rotationScheduleId(this.taskQueue, '');
    const out: { name: string; paused: boolean; note?: string; next?: Date }[] = [];
    for await (const s of this.client.schedule.list()) {
      if (!s.scheduleId.startsWith(prefix)) continue;
      out.push({ name: s.scheduleId.slice(prefix.length), paused: s.state.paused, ...(s.state.note ? { note: s.state.note } : {}), ...(s.info.nextActionTimes[0] ? { next: s.info.nextActionTimes[0] } : {}) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Runs a scheduled rotation now, or holds or releases its schedule (a change freeze); says what it did. */
  async rotation(name: string, action: 'trigger' | 'pause' | 'unpause', by: string, reason?: string): Promise<string> {
    if (!ROTATION_NAME.test(name)) throw new RotationRefused(`name: "${name.slice(0, 40)}" is not a rotation's name (lower-case letters, digits and dashes)`);
    const handle = this.client.schedule.getHandle(rotationScheduleId(this.taskQueue, name));
    const note = `${reason ? `${reason.slice(0, 200)} ` : ''}(${by})`;
    try {
      if (action === 'trigger') await handle.trigger();
      else if (action === 'pause') await handle.pause(note);
      else await handle.unpause(note);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new RotationRefused(`name: no scheduled rotation is named "${name}" (see the rotation list)`);
      throw err;
    }
    return action === 'trigger' ? `${name}: a rotation starts now` : `${name}: ${action}d ${note}`;
  }
}

/** A rotation command refused for what it named (the message names the field). */
export class RotationRefused extends Error {}
