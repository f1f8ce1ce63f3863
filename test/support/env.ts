import type { ActivityDeps } from '../../activities';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { parseInventory } from '../../providers';
import type { Inventory } from '../../domain/schemas';
import type { AwsConfig } from '../../providers/aws/config';
import type { IncidentEvent, Notifier } from '../../providers/types';
import { loadCodecKeys } from '../../worker/codec';
import { connectClient } from '../../worker/temporal-client';
import { IncidentControl } from '../../triggers/control';
import { buildDeps, createWorker, sealerFor, type GitHubOptions } from '../../worker/wiring';

export interface TestEnv {
  dir: string;
  temporalAddress: string;
  motoEndpoint: string;
  admin: { accessKeyId: string; secretAccessKey: string };
  /** A second AWS account in moto and its administrator (test/support/second-account.ts). */
  secondAccount: { id: string; admin: { accessKeyId: string; secretAccessKey: string } };
  bundlePath: string;
  /** The dev server's web UI. */
  uiUrl: string;
  /** The run's PostgreSQL server (test/support/postgres-server.ts): its superuser, and the role Leakstop connects as. */
  postgres: { host: string; port: number; superuser: string; password: string; admin: { user: string; password: string }; logFile: string };
  /** The run's npm registry (test/support/verdaccio-server.ts): its URL, with a trailing slash. */
  npm: { registry: string };
  /** The run's OpenBao dev server (test/support/openbao-server.ts) and its root token. */
  openbao: { address: string; token: string };
  /**
   * The run's Kubernetes API server (test/support/kube-server.ts): its URL and CA file, an administrator's
   * token (also in LEAKSTOP_KUBE_TOKEN) and one RBAC grants nothing; etcd's data folder, the audit log
   * and the programs' logs, for the leak canary.
   */
  kube: { server: string; caFile: string; token: string; deniedToken: string; etcdDir: string; auditLog: string; logs: string[] };
}

export function testEnv(): TestEnv {
  const raw = process.env.LEAKSTOP_TEST_ENV;
  if (!raw) throw new Error('LEAKSTOP_TEST_ENV is missing: run the tests through jest (global set-up)');
  return JSON.parse(raw);
}

export function awsConfig(): AwsConfig {
  const env = testEnv();
  return { region: 'us-east-1', endpoint: env.motoEndpoint, credentials: env.admin };
}

export const iam = () => new IAMClient({ ...awsConfig(), maxAttempts: 1 });

/** A fresh IAM user with one access key: the key that "leaked". */
export async function leakedKey(prefix: string): Promise<{ user: string; keyId: string; secret: string }> {
  const user = `${prefix}-${randomUUID().slice(0, 8)}`;
  const client = iam();
  await client.send(new CreateUserCommand({ UserName: user }));
  const k = (await client.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
  client.destroy();
  return { user, keyId: k.AccessKeyId!, secret: k.SecretAccessKey! };
}

export const uniqueQueue = (name: string) => `${name}-${randomUUID()}`;
export const scratchDir = (name: string) => mkdtempSync(path.join(testEnv().dir, `${name}-`));

/** The run's payload keys (LEAKSTOP_CODEC_KEYS, set by the global set-up). */
export const codecKeys = () => loadCodecKeys(testEnv().dir);

export function temporalClient() {
  return connectClient({ address: testEnv().temporalAddress, keys: codecKeys() });
}

/** IncidentControl as the ingress and the CLI build it: what it reports is sealed with the run's keys. */
export const controlFor = (client: Client, taskQueue: string) => new IncidentControl(client, taskQueue, sealerFor(codecKeys()));

/** Records notifications so tests can assert on what people were told. */
export class RecordingNotifier implements Notifier {
  readonly events: IncidentEvent[] = [];
  async notify(e: IncidentEvent) {
    this.events.push(e);
  }
}

/** A real worker on its own task queue, bundle shared by the run. */
export async function startWorker(o: {
  taskQueue: string;
  inventory: Inventory | string;
  dataDir?: string;
  notifier?: Notifier;
  github?: GitHubOptions;
  report?: (input: unknown) => Promise<{ incidentId: string; joined: boolean }>;
  /** Lets an incident stop a scheduled rotation of its credential (worker/rotations.ts). */
  rotations?: ActivityDeps['rotations'];
  /** Another AWS endpoint (a fault-injecting proxy in front of moto). */
  awsEndpoint?: string;
  /** Another AWS identity for Leakstop than the run's admin. */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Another Temporal server than the run's. */
  temporalAddress?: string;
}) {
  const connection = await NativeConnection.connect({ address: o.temporalAddress ?? testEnv().temporalAddress });
  const dataDir = o.dataDir ?? scratchDir('data');
  const inventory = typeof o.inventory === 'string' ? parseInventory(o.inventory) : o.inventory;
  const deps = buildDeps({ inventory, aws: { ...awsConfig(), ...(o.awsEndpoint ? { endpoint: o.awsEndpoint } : {}), ...(o.awsCredentials ? { credentials: o.awsCredentials } : {}) }, github: o.github, report: o.report, rotations: o.rotations, dataDir, reportsDir: path.join(dataDir, 'reports'), notifier: o.notifier ?? new RecordingNotifier(), keys: codecKeys() });
  const worker: Worker = await createWorker({ connection, taskQueue: o.taskQueue, deps, keys: codecKeys(), workflowBundlePath: testEnv().bundlePath });
  const running = worker.run();
  return {
    worker,
    deps,
    dataDir,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The usual test-file set-up: a Temporal client for the file, and local servers (a deploy hook…)
 * started before its tests and stopped after them.
 */
export function useTemporal(set: (client: Client) => void, ...servers: { start(): Promise<unknown>; stop(): Promise<unknown> }[]): void {
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const c = await temporalClient();
    close = c.close;
    set(c.client);
    await Promise.all(servers.map((s) => s.start()));
  });
  afterAll(async () => {
    await close?.();
    await Promise.all(servers.map((s) => s.stop()));
  });
}
