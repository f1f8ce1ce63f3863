import type { Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { DeployHookServer } from '../../worker/deploy-hook-server';
import { INCIDENT_WORKFLOW_TYPE } from '../../workflows/definitions';
import { leakedKey, startWorker, uniqueQueue, useTemporal } from '../support/env';
import { keysOf, leakInput, report, standardInventory } from '../support/fixtures';

// Finding 3: the incident's identity was not bound to its credential. Someone who can start workflows
// started `leak-aws-<fingerprint of a real key>` with a decoy key and every phase gated, so the real leak
// then "joined" the decoy and was never touched; and the id became a file name (`leak-aws-../../x`).

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

test("a decoy started under a real key's incident id is refused, and the real leak is then contained", async () => {
  const real = await leakedKey('decoy-real');
  const decoy = await leakedKey('decoy-fake');
  const taskQueue = uniqueQueue('decoy');
  const worker = await startWorker({ taskQueue, inventory: standardInventory({ owner: real.user, tag: real.user, hookUrl: hook.url }) });
  try {
    const realId = incidentIdFor('aws-iam', real.keyId);
    const squat = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId: realId, taskQueue, args: [leakInput(decoy.keyId)] });
    const refusal = await squat.result().then(() => 'ran', (e) => String(e?.cause?.message));
    expect(refusal).toMatch(new RegExp(`^workflowId: must be ${incidentIdFor('aws-iam', decoy.keyId)}`, 'm'));
    expect(await keysOf(decoy.user)).toEqual([{ id: decoy.keyId, status: 'Active' }]);

    const started = await report(client, taskQueue, leakInput(real.keyId));
    expect(started).toEqual({ incidentId: realId, joined: false });
    const s: IncidentState = await client.workflow.getHandle(realId).result();
    expect(s.status).toBe('completed');
    expect((await keysOf(real.user)).map((k) => k.id)).toEqual([s.newCredential!.id]);
  } finally {
    await worker.stop();
  }
});

test('an id that would be a path is refused before anything runs', async () => {
  const leak = await leakedKey('decoy-path');
  const taskQueue = uniqueQueue('decoy-path');
  const worker = await startWorker({ taskQueue, inventory: '{}' });
  try {
    const handle = await client.workflow.start(INCIDENT_WORKFLOW_TYPE, { workflowId: 'leak-aws-../../x', taskQueue, args: [leakInput(leak.keyId)] });
    expect(await handle.result().then(() => 'ran', (e) => String(e?.cause?.message))).toMatch(/^workflowId: must be leak-aws-[0-9a-f]{16}/m);
    expect(await keysOf(leak.user)).toEqual([{ id: leak.keyId, status: 'Active' }]);
  } finally {
    await worker.stop();
  }
});
