import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { rotationScheduleId } from '../domain/rotation';
import type { ProviderKind } from '../domain/credential';
import { rotatingEntries } from '../domain/inventory';
import type { Inventory } from '../domain/schemas';
import { supersedeSignal } from '../workflows/definitions';

/**
 * What an incident does to a scheduled rotation of its own credential (ActivityDeps.rotations): the
 * rotation runs of the inventory entry the leak matches are told the incident takes over, and waited
 * for (at most `waitMs`) so that they have deleted any key they made before the incident makes its own.
 * Runs are found by the entry's schedule, which knows the runs it started as soon as it starts them, and
 * through visibility (runs started by hand), which lists a run about a second late. A run the schedule
 * starts after that looks for a running incident of its credential when it plans (`incidentRunning`) and
 * makes nothing.
 */
export function rotationYielder(client: Client, taskQueue: string, inventory: Inventory, waitMs = 30_000) {
  return {
    async yieldTo(leak: { provider: ProviderKind; owner: string; credentialId: string; incidentId: string }): Promise<string[]> {
      const rotating = rotatingEntries(inventory).find(({ entry }) => entry.provider === leak.provider && (entry.credentialId === leak.credentialId || entry.owner === leak.owner));
      if (!rotating) return [];
      const prefix = `rotation-${taskQueue}-${rotating.key}-`;
      const scheduled = await client.schedule
        .getHandle(rotationScheduleId(taskQueue, rotating.key))
        .describe()
        .then((d) => d.info.runningActions.map((a) => a.workflow.workflowId), (err) => (err instanceof ScheduleNotFoundError ? [] : Promise.reject(err)));
      const runs = new Set(scheduled);
      for await (const w of client.workflow.list({ query: `WorkflowType = 'rotationWorkflow' AND ExecutionStatus = 'Running'` })) {
        if (w.workflowId.startsWith(prefix)) runs.add(w.workflowId);
      }
      const stopped = await Promise.all(
        [...runs].map(async (id) => {
          const handle = client.workflow.getHandle(id);
          // Both lists can still name a run that has just ended: there is nothing left to stop.
          const told = await handle.signal(supersedeSignal, { incidentId: leak.incidentId }).then(
            () => true,
            (err) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)),
          );
          if (told) await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
          return told ? [id] : [];
        }),
      );
      return stopped.flat();
    },

    /** Whether an incident of this credential runs now (its id is the credential's; no visibility lag). */
    async incidentRunning(incidentId: string): Promise<boolean> {
      const d = await client.workflow.getHandle(incidentId).describe().catch((err) => (err instanceof WorkflowNotFoundError ? undefined : Promise.reject(err)));
      return d?.status.name === 'RUNNING';
    },
  };
}
