import { randomInt } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { scratchDir, uniqueQueue, useTemporal } from '../support/env';
import { gitguardianEvent, leakInput } from '../webhooks/fixtures';
import { newKeyId, SECRETS, signedGeneric, signedGitGuardian, startIngress, type Ingress } from '../webhooks/harness';

// The attacker captured a signed generic or GitGuardian delivery and sends it again while its
// timestamp is still fresh (five minutes either way), through the ingress as worker/main.ts builds it,
// including after the ingress restarts.

let client: Client;
useTemporal((c) => (client = c));

const duplicate = { status: 200, body: { ignored: expect.stringMatching(/^duplicate delivery/) } };

async function post(ingress: Ingress, route: string, body: string, headers: Record<string, string>) {
  const res = await fetch(ingress.url(route), { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function ingressOn(dataDir: string, taskQueue: string) {
  const env = { LEAKSTOP_DATA_DIR: dataDir, LEAKSTOP_GENERIC_WEBHOOK_SECRET: SECRETS.generic, LEAKSTOP_GITGUARDIAN_TOKEN: SECRETS.gitguardian };
  return startIngress({ client, taskQueue, env });
}

test('a generic delivery replayed within its window is refused, and still after the ingress restarts', async () => {
  const dataDir = scratchDir('replay-generic');
  const taskQueue = uniqueQueue('replay-generic');
  const body = JSON.stringify(leakInput(newKeyId()));
  const headers = signedGeneric(body);

  const ingress = await ingressOn(dataDir, taskQueue);
  let restarted: Ingress | undefined;
  try {
    const first = await post(ingress, '/webhooks/generic', body, headers);
    expect(first).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^leak-aws-/), joined: false } });
    expect(await post(ingress, '/webhooks/generic', body, headers)).toEqual(duplicate);
    await ingress.close();

    restarted = await ingressOn(dataDir, taskQueue);
    // Finished meanwhile: the workflow id is free again, so only the guard stands in the way.
    await client.workflow.getHandle(first.body.incidentId).terminate('finished, for the test');
    expect(await post(restarted, '/webhooks/generic', body, headers)).toEqual(duplicate);
    expect((await client.workflow.getHandle(first.body.incidentId).describe()).status.name).toBe('TERMINATED');
  } finally {
    await ingress.close(); // closing twice is harmless
    await restarted?.close();
  }
});

test('a GitGuardian delivery replayed within its window is refused', async () => {
  const ingress = await ingressOn(scratchDir('replay-gitguardian'), uniqueQueue('replay-gitguardian'));
  try {
    const body = JSON.stringify(gitguardianEvent({ id: 30_000 + randomInt(1e9) }));
    const headers = signedGitGuardian(body);
    const first = await post(ingress, '/webhooks/gitguardian', body, headers);
    expect(first).toEqual({ status: 202, body: expect.objectContaining({ needsIdentification: true }) });
    expect(await post(ingress, '/webhooks/gitguardian', body, headers)).toEqual(duplicate);
  } finally {
    await ingress.close();
  }
});
