import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { redactId } from '../domain/credential';
import { incidentIdFor } from '../domain/fingerprint';
import { parseOrThrow, ValidationError } from '../domain/issues';
import type { Sealer } from '../domain/seal';
import type { Trust } from '../domain/trust';
import type { IncidentInput, ParsedIncidentInput } from '../domain/schemas';
import { catalog } from '../providers';
import type { incidentWorkflow } from '../workflows';
import { INCIDENT_WORKFLOW_TYPE, reportSignal, SA } from '../workflows/definitions';

export interface Started {
  incidentId: string;
  /** true when the credential already had a running incident and this report joined it. */
  joined: boolean;
}

/** What the trigger that received a report vouches for: its trust, sealed with Leakstop's keys. */
export interface ReportOrigin {
  sealer: Sealer;
  trust: Trust;
}

/**
 * The one way every trigger (CLI, webhooks, Slack) opens an incident. Input is validated before
 * anything reaches Temporal, so a rejected request starts nothing. A second report of the same
 * credential signals the running incident instead of starting another. The trust is the trigger's
 * to say, never the sender's: it is sealed here with the source and the alert (domain/seal.ts).
 */
export async function reportLeak(client: Client, taskQueue: string, raw: unknown, origin?: ReportOrigin, o: { eagerStart?: boolean } = {}): Promise<Started> {
  const claimed = controlFieldProblems(raw);
  if (claimed.length) throw ValidationError.of('incident input', claimed);
  const parsed: ParsedIncidentInput = parseOrThrow(catalog.IncidentInputSchema, raw, 'incident input');
  const { exposure, provider, credentialId } = parsed;
  const input = origin
    ? { ...parsed, trust: origin.trust, seal: origin.sealer.seal({ provider, credentialId, source: exposure.source, trust: origin.trust, ...(exposure.alert ? { alert: exposure.alert } : {}) }) }
    : parsed;
  const incidentId = incidentIdFor(input.provider, input.credentialId);
  // Two rounds: the running incident may finish between our start and our signal.
  for (let round = 0; ; round++) {
    try {
      await client.workflow.start<typeof incidentWorkflow>(INCIDENT_WORKFLOW_TYPE, {
        workflowId: incidentId,
        taskQueue,
        args: [input satisfies IncidentInput],
        workflowIdConflictPolicy: 'FAIL',
        ...(o.eagerStart ? { requestEagerStart: true } : {}),
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
      const { trust, seal } = input as { trust?: Trust; seal?: string };
      await client.workflow.getHandle(incidentId).signal(reportSignal, { exposure: input.exposure, requestedBy: input.requestedBy, ...(trust ? { trust, seal } : {}) });
      return { incidentId, joined: true };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || round > 0) throw err;
    }
  }
}

/**
 * A sender's input never carries trust or a seal: each one it sets, by field (the schema refuses `policy`
 * and `secretHandle` by itself). Every trigger checks this before anything starts.
 */
export function controlFieldProblems(raw: unknown): { field: string; message: string }[] {
  if (typeof raw !== 'object' || raw === null) return [];
  return (['trust', 'seal'] as const).filter((f) => f in raw).map((field) => ({ field, message: "set only by Leakstop's triggers, from where the report came in; leave it out" }));
}
