import { randomUUID } from 'node:crypto';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { IncidentState } from '../../domain/incident';
import { PolicySchema } from '../../domain/schemas';
import type { IncidentContext } from '../../providers/types';
import type { Trust } from '../../domain/trust';
import { reportLeak } from '../../triggers/incidents';
import { sealerFor } from '../../worker/wiring';
import { statusQuery } from '../../workflows/definitions';
import { codecKeys, eventually, iam, scratchDir, startWorker, testEnv, uniqueQueue } from './env';
import { spawnWorker } from './worker-child';

/** The inventory most tests use: one Secrets Manager consumer that is redeployed, one SSM consumer. */
export function standardInventory(o: { owner: string; tag: string; hookUrl: string; policy?: string }): string {
  return `
${o.policy ? `policy: ${o.policy}` : ''}
stores:
  prod-sm: { kind: aws-secrets-manager }
  prod-ssm: { kind: aws-ssm }
deployers:
  api-hook: { kind: http-hook, url: "${o.hookUrl}", pollInterval: 100ms }
credentials:
  - provider: aws-iam
    owner: ${o.owner}
    consumers:
      - { name: api, store: prod-sm, key: "${o.tag}/api/aws", deploy: api-hook }
      - { name: worker, store: prod-ssm, key: "/${o.tag}/worker/aws-secret", field: secretAccessKey }
`;
}

/**
 * Reports a leak as a trigger that vouches for it (authoritative and sealed, like the GitHub endpoint),
 * so the runbook acts at once; the trust rules themselves are tested in test/attacks/.
 */
export function report(client: Client, taskQueue: string, input: unknown, trust: Trust = 'authoritative') {
  return reportLeak(client, taskQueue, input, { sealer: sealerFor(codecKeys()), trust });
}

export const leakInput = (credentialId: string, extra: Record<string, unknown> = {}) => ({
  provider: 'aws-iam',
  credentialId,
  exposure: { source: 'cli', public: false },
  requestedBy: 'test',
  ...extra,
});

export async function keysOf(user: string): Promise<{ id: string; status: string }[]> {
  const r = await iam().send(new ListAccessKeysCommand({ UserName: user }));
  return (r.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! }));
}

export function stsAs(accessKeyId: string, secretAccessKey: string) {
  return new STSClient({ region: 'us-east-1', endpoint: testEnv().motoEndpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

export const callerArn = async (accessKeyId: string, secretAccessKey: string) =>
  (await stsAs(accessKeyId, secretAccessKey).send(new GetCallerIdentityCommand({}))).Arn;

/** Waits until the incident's status query satisfies `ready`, and returns that state. */
export function waitForState(client: Client, incidentId: string, ready: (s: IncidentState) => boolean, timeoutMs = 30_000) {
  const handle: WorkflowHandle = client.workflow.getHandle(incidentId);
  return eventually(async () => {
    const s = await handle.query(statusQuery);
    return ready(s) ? s : undefined;
  }, timeoutMs, `incident ${incidentId} to reach the expected state`);
}

/** An incident's context as a provider receives it, for provider tests that call verbs directly. */
export function incidentContext(idPrefix: string): IncidentContext {
  return { incidentId: `leak-${idPrefix}-${randomUUID().slice(0, 8)}`, startedAt: new Date().toISOString(), policy: PolicySchema.parse({}) };
}

/** Runs `f`, returning what it threw (or failing the test when it threw nothing). */
export async function thrown(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, got none');
}

/**
 * A leaked key reported to a worker process that dies right after `crashAfter`'s side effect (before
 * Temporal hears of it); a new worker on the same data folder takes over. Returns the finished incident.
 */
export async function leakWithCrash(client: Client, o: { name: string; inventory: string; keyId: string; crashAfter: string }): Promise<{ incidentId: string; state: IncidentState; dataDir: string }> {
  const taskQueue = uniqueQueue(o.name);
  const dataDir = scratchDir(o.name);
  const doomed = await spawnWorker({ taskQueue, inventory: o.inventory, dataDir, crashAfter: o.crashAfter });
  const { incidentId } = await report(client, taskQueue, leakInput(o.keyId));
  await doomed.exited;
  const worker = await startWorker({ taskQueue, inventory: o.inventory, dataDir });
  try {
    return { incidentId, state: await client.workflow.getHandle(incidentId).result(), dataDir };
  } finally {
    await worker.stop();
  }
}
