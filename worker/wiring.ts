import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Inventory } from '../domain/schemas';
import type { AwsConfig } from '../providers/aws/config';
import { catalog } from '../providers';
import { ConsoleNotifier } from '../providers/console-notifier/notifier';
import { LocalFileVault } from '../providers/local-vault/vault';
import { MarkdownFileSink } from '../providers/markdown-report/sink';
import type { Notifier, PostMortemSink, SecretVault } from '../providers/types';
import { redact } from '../domain/redact';
import { GitHubSecretScanningAlerts } from '../providers/github/alerts';
import { GitHubIssueSink } from '../providers/github/issue-sink';
import { Sealer } from '../domain/seal';
import type { GitHubAuth } from '../providers/github/client';
import type { CodecKeys } from './codec';
import { leakstopDataConverter } from './data-converter';
import { redactingActivityErrors, redactingNotifier, redactingSink } from './redaction';

export interface GitHubOptions {
  /** https://api.github.com unless set (GitHub Enterprise, or the tests' local API). */
  baseUrl?: string;
  /** For Actions secrets and variables, workflow dispatch, issues and alerts (not for revocation): a token or a GitHub App installation. */
  token?: GitHubAuth;
  /** owner/repo where post-mortems are opened as issues. */
  postMortemRepository?: string;
}

export interface DepsOptions {
  inventory: Inventory;
  aws: AwsConfig;
  github?: GitHubOptions;
  /** Lets workflows start incidents (a leak identified after the fact). */
  report?: ActivityDeps['report'];
  /** Lets an incident stop a scheduled rotation of its credential (worker/rotations.ts). */
  rotations?: ActivityDeps['rotations'];
  dataDir: string;
  reportsDir: string;
  /** Where new credentials wait (worker/vault.ts); files in `dataDir` unless given. */
  vault?: SecretVault;
  notifier?: Notifier;
  /** The payload keys: reports' seals are checked with a key derived from them. */
  keys: CodecKeys;
  /** Settings for provider modules by name, given in code (tests, the demo); each module reads its own, else the environment. */
  providerSettings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/** Seals reports in triggers and checks them in workers, with the keys both already hold. */
export const sealerFor = (keys: CodecKeys) => Sealer.from(keys);

/** The one composition root of a worker: providers from the modules (providers/index.ts), sinks, notifier. */
export function buildDeps(o: DepsOptions): ActivityDeps {
  const vault = o.vault ?? new LocalFileVault(path.join(o.dataDir, 'vault'));
  const gh = { baseUrl: o.github?.baseUrl, auth: o.github?.token };
  const registry = catalog.registry({
    vault,
    inventory: o.inventory,
    env: o.env ?? process.env,
    settings: { aws: o.aws, github: { baseUrl: o.github?.baseUrl, token: o.github?.token }, ...o.providerSettings },
  });
  const sinks: PostMortemSink[] = [new MarkdownFileSink(o.reportsDir)];
  if (o.github?.postMortemRepository) sinks.push(new GitHubIssueSink({ ...gh, repository: o.github.postMortemRepository }));
  const alerts = o.github?.token ? new GitHubSecretScanningAlerts(gh) : undefined;
  return {
    inventory: o.inventory,
    registry,
    vault,
    notifier: redactingNotifier(o.notifier ?? new ConsoleNotifier()),
    postMortems: redactingSink(allSinks(sinks)),
    report: o.report,
    rotations: o.rotations,
    sealer: sealerFor(o.keys),
    alerts: alerts && { resolveAlert: (repository, number, comment) => alerts.resolveAlert(repository, number, redact(comment)) },
  };
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createWorker(o: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  deps: ActivityDeps;
  keys: CodecKeys;
  /** A pre-built bundle (tests bundle once per run); otherwise bundled at start-up. */
  workflowBundlePath?: string;
  options?: Partial<WorkerOptions>;
}): Promise<Worker> {
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue,
    activities: createActivities(o.deps),
    dataConverter: leakstopDataConverter(o.keys),
    interceptors: { activity: [redactingActivityErrors] },
    // New incidents first: most workflow-task pollers take from the normal queue, where a new incident's
    // first task (and so its containment) waits; running incidents continue on the sticky queue. In a
    // burst of leaks this contains every key before finishing any runbook (see npm run bench).
    nonStickyToStickyPollRatio: 0.8,
    ...(o.workflowBundlePath ? { workflowBundle: { codePath: o.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    ...o.options,
  });
}

/** Every post-mortem sink gets the report; people are pointed at the last one (the issue, when there is one). */
function allSinks(sinks: PostMortemSink[]): PostMortemSink {
  return {
    async open(incidentId, markdown) {
      let url = '';
      for (const s of sinks) url = (await s.open(incidentId, markdown)).url;
      return { url };
    },
  };
}
