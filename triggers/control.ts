import type { Client } from '@temporalio/client';
import type { AbortRequest, ApprovalRequest, DecisionRequest, IncidentState, ManualDoneRequest } from '../domain/incident';
import { abortUpdate, approveUpdate, decideUpdate, doneUpdate, INCIDENT_WORKFLOW_TYPE, noteSignal, statusQuery } from '../workflows/definitions';
import { IDENTIFICATION_WORKFLOW_TYPE, identifyUpdate, type IdentifyRequest, type PendingLeak } from '../workflows/identification-api';
import type { identificationWorkflow } from '../workflows/identification';
import { reportLeak, type Started } from './incidents';

/**
 * What every human-facing trigger (CLI, Slack, webhooks) may do with incidents, over the real
 * Temporal client. Updates are validated inside the workflow; a refusal surfaces as
 * WorkflowUpdateFailedError whose cause carries the validator's message (which names the field).
 */
export class IncidentControl {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
  ) {}

  report(raw: unknown): Promise<Started> {
    return reportLeak(this.client, this.taskQueue, raw);
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

  decide(incidentId: string, req: DecisionRequest & { step?: string }): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(decideUpdate, { args: [req] });
  }

  done(incidentId: string, req: ManualDoneRequest): Promise<string> {
    return this.client.workflow.getHandle(incidentId).executeUpdate(doneUpdate, { args: [req] });
  }

  /**
   * A leak nobody could name yet: a durable "needs identification" record that a person completes with
   * `identify`. One per reference (a second delivery of the same alert finds the first).
   */
  async awaitIdentification(reference: string, pending: PendingLeak): Promise<{ pendingId: string }> {
    const pendingId = `leak-unidentified-${reference.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 120)}`;
    await this.client.workflow.start<typeof identificationWorkflow>(IDENTIFICATION_WORKFLOW_TYPE, {
      workflowId: pendingId,
      taskQueue: this.taskQueue,
      args: [pending],
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
}
