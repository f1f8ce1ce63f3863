import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { redactId } from '../domain/credential';
import { incidentIdFor } from '../domain/fingerprint';
import { parseOrThrow } from '../domain/issues';
import { IncidentInputSchema, type IncidentInput, type ParsedIncidentInput } from '../domain/schemas';
import type { incidentWorkflow } from '../workflows';
import { INCIDENT_WORKFLOW_TYPE, reportSignal, SA } from '../workflows/definitions';

export interface Started {
  incidentId: string;
  /** true when the credential already had a running incident and this report joined it. */
  joined: boolean;
}

/**
 * The one way every trigger (CLI, webhooks, Slack) opens an incident. Input is validated before
 * anything reaches Temporal, so a rejected request starts nothing. A second report of the same
 * credential signals the running incident instead of starting another.
 */
export async function reportLeak(client: Client, taskQueue: string, raw: unknown): Promise<Started> {
  const input: ParsedIncidentInput = parseOrThrow(IncidentInputSchema, raw, 'incident input');
  const incidentId = incidentIdFor(input.provider, input.credentialId);
  // Two rounds: the running incident may finish between our start and our signal.
  for (let round = 0; ; round++) {
    try {
      await client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW_TYPE, {
        workflowId: incidentId,
        taskQueue,
        args: [input satisfies IncidentInput],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SA.provider, value: input.provider },
          { key: SA.credential, value: redactId(input.credentialId) },
          { key: SA.phase, value: 'triage' },
          { key: SA.status, value: 'running' },
        ],
      });
      return { incidentId, joined: false };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      await client.workflow.getHandle(incidentId).signal(reportSignal, { exposure: input.exposure, requestedBy: input.requestedBy });
      return { incidentId, joined: true };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || round > 0) throw err;
    }
  }
}
