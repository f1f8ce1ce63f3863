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
 * A crash point: a worker process that dies right after `crashAfter`'s side effect (before Temporal hears
 * of it) gets the report; once it is dead (or after 30 s, `reached: false`), a new worker on the same
 * data folder takes over. The caller checks the finished incident, then stops `worker`.
 */
export async function crashThenTakeOver(client: Client, o: { taskQueue: string; inventory: string; dataDir: string; crashAfter: string; input: unknown }) {
  const doomed = await spawnWorker({ taskQueue: o.taskQueue, inventory: o.inventory, dataDir: o.dataDir, crashAfter: o.crashAfter });
  const { incidentId } = await report(client, o.taskQueue, o.input);
  const reached = await Promise.race([doomed.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
  await doomed.kill();
  const worker = await startWorker({ taskQueue: o.taskQueue, inventory: o.inventory, dataDir: o.dataDir });
  return { incidentId, reached, worker, state: () => client.workflow.getHandle(incidentId).result() as Promise<IncidentState> };
}

/** Runs `each` over `items`, `lanes` at a time (crash scenarios each wait out an activity timeout). */
export async function inLanes<T>(items: readonly T[], lanes: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
  }));
}

/** A leaked AWS key through a crash point (crashThenTakeOver); fails when the worker never reached it. */
export async function leakWithCrash(client: Client, o: { name: string; inventory: string; keyId: string; crashAfter: string }): Promise<{ incidentId: string; state: IncidentState; dataDir: string }> {
  const dataDir = scratchDir(o.name);
  const run = await crashThenTakeOver(client, { taskQueue: uniqueQueue(o.name), inventory: o.inventory, dataDir, crashAfter: o.crashAfter, input: leakInput(o.keyId) });
  try {
    if (!run.reached) throw new Error(`the worker never reached the crash point ${o.crashAfter}`);
    return { incidentId: run.incidentId, state: await run.state(), dataDir };
  } finally {
    await run.worker.stop();
  }
}
