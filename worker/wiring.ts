import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Inventory } from '../domain/schemas';
import type { AwsConfig } from '../providers/aws/config';
import { AwsIamProvider } from '../providers/aws-iam/provider';
import { SecretsManagerStore } from '../providers/aws-secrets-manager/store';
import { SsmStore } from '../providers/aws-ssm/store';
import { ConsoleNotifier } from '../providers/console-notifier/notifier';
import { HttpDeployHook } from '../providers/http-deploy-hook/deployer';
import { LocalFileVault } from '../providers/local-vault/vault';
import { MarkdownFileSink } from '../providers/markdown-report/sink';
import { Registry } from '../providers/registry';
import type { Notifier } from '../providers/types';
import type { CodecKeys } from './codec';
import { leakstopDataConverter } from './data-converter';
import { redactingActivityErrors, redactingNotifier, redactingSink } from './redaction';

export interface DepsOptions {
  inventory: Inventory;
  aws: AwsConfig;
  dataDir: string;
  reportsDir: string;
  notifier?: Notifier;
}

/** The default provider set. A new provider is registered here by kind. */
export function buildDeps(o: DepsOptions): ActivityDeps {
  const vault = new LocalFileVault(path.join(o.dataDir, 'vault'));
  const registry = new Registry()
    .addCredentialProvider(new AwsIamProvider(o.aws, vault))
    .addStore(new SecretsManagerStore(o.aws))
    .addStore(new SsmStore(o.aws))
    .addDeployer(new HttpDeployHook());
  return {
    inventory: o.inventory,
    registry,
    vault,
    notifier: redactingNotifier(o.notifier ?? new ConsoleNotifier()),
    postMortems: redactingSink(new MarkdownFileSink(o.reportsDir)),
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
    ...(o.workflowBundlePath ? { workflowBundle: { codePath: o.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    ...o.options,
  });
}
