import path from 'node:path';
import type { IncidentState } from '../domain/incident';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { startEmbeddedTemporal } from '../worker/embedded-temporal';
import { connectClient } from '../worker/temporal-client';
import { approveUpdate } from '../workflows/definitions';
import { codecKeys, leakedKey, scratchDir, startWorker, uniqueQueue } from './support/env';
import { keysOf, leakInput, standardInventory, waitForState, report } from './support/fixtures';

// The Temporal server itself restarts (same SQLite file, same port) while incidents are open: the
// worker and the client reconnect, and the incidents resume and finish. This test runs its own dev
// server, since restarting the run's shared one would disturb every other test.

test('incidents survive a Temporal dev server restart and finish', async () => {
  const dataDir = scratchDir('restart');
  let temporal = await startEmbeddedTemporal({ dataDir: path.join(dataDir, 'temporal') });
  const port = Number(temporal.address.split(':').pop());
  const hook = await new DeployHookServer().start();
  const { client, close } = await connectClient({ address: temporal.address, keys: codecKeys() });
  const taskQueue = uniqueQueue('restart');
  const leaks = [await leakedKey('restart-a'), await leakedKey('restart-b')];
  const inventory = `
policy: { approvals: [revoke] }
stores: { sm: { kind: aws-secrets-manager } }
credentials:
${leaks.map((l) => `  - { provider: aws-iam, owner: ${l.user}, consumers: [{ name: app, store: sm, key: "${l.user}/aws" }] }`).join('\n')}
`;
  const worker = await startWorker({ taskQueue, inventory, temporalAddress: temporal.address });
  try {
    const ids: string[] = [];
    for (const l of leaks) ids.push((await report(client, taskQueue, leakInput(l.keyId))).incidentId);
    for (const id of ids) await waitForState(client, id, (s) => s.waiting.some((w) => w.phase === 'revoke'));

    await temporal.stop();
    temporal = await startEmbeddedTemporal({ dataDir: path.join(dataDir, 'temporal'), port });

    for (const id of ids) {
      // The first calls after the restart may find the server still warming up; the update is retried.
      await waitForState(client, id, (s) => s.waiting.some((w) => w.phase === 'revoke'), 60_000);
      await client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ phase: 'revoke', by: 'kim' }] });
    }
    for (const [i, id] of ids.entries()) {
      const s: IncidentState = await client.workflow.getHandle(id).result();
      expect(s.status).toBe('completed');
      expect((await keysOf(leaks[i]!.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
    }
  } finally {
    await worker.stop();
    await close();
    await hook.stop();
    await temporal.stop();
  }
}, 180_000);
