import type { Client } from '@temporalio/client';
import type { ProviderKind } from '../domain/credential';
import { rotatingEntries } from '../domain/inventory';
import type { Inventory } from '../domain/schemas';
import { supersedeSignal } from '../workflows/definitions';

/**
 * What an incident does to a scheduled rotation of its own credential (ActivityDeps.rotations): the
 * rotation runs of the inventory entry the leak matches are told the incident takes over, and waited
 * for (at most `waitMs`) so that they have deleted any key they made before the incident makes its own.
 * Runs are found through visibility: one started within the last second may not be listed yet.
 */
export function rotationYielder(client: Client, taskQueue: string, inventory: Inventory, waitMs = 30_000) {
  return {
    async yieldTo(leak: { provider: ProviderKind; owner: string; credentialId: string; incidentId: string }): Promise<string[]> {
      const rotating = rotatingEntries(inventory).find(({ entry }) => entry.provider === leak.provider && (entry.credentialId === leak.credentialId || entry.owner === leak.owner));
      if (!rotating) return [];
      const prefix = `rotation-${taskQueue}-${rotating.key}-`;
      const runs: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowType = 'rotationWorkflow' AND ExecutionStatus = 'Running'` })) {
        if (w.workflowId.startsWith(prefix)) runs.push(w.workflowId);
      }
      await Promise.all(
        runs.map(async (id) => {
          const handle = client.workflow.getHandle(id);
          await handle.signal(supersedeSignal, { incidentId: leak.incidentId });
          await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, waitMs).unref())]);
        }),
      );
      return runs;
    },
  };
}
