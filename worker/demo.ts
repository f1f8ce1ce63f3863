import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { redactId } from '../domain/credential';
import type { IncidentState } from '../domain/incident';
import { render } from '../triggers/cli';
import { loadCodecKeys } from './codec';
import { loadConfig, loadInventory } from './config';
import { connectClient } from './temporal-client';
import { DeployHookServer } from './deploy-hook-server';
import { startEmbeddedTemporal } from './embedded-temporal';
import { enforceMotoAuth, startMoto } from './embedded-moto';
import { buildDeps, createWorker, sealerFor } from './wiring';
import { IncidentControl } from '../triggers/control';

/**
 * `npm run demo`: a real incident, end to end, on this machine. moto plays AWS (auth enforced), the
 * embedded Temporal dev server runs the workflow, a local deploy hook plays the service.
 */
async function demo(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cfg = loadConfig();
  const dataDir = path.join(cfg.dataDir, 'demo');
  mkdirSync(dataDir, { recursive: true });
  const say = (s: string) => console.log(`\n== ${s}`);

  say('starting moto (AWS emulator), the Temporal dev server and a deploy hook');
  const moto = await startMoto(); // first: ports are picked free, and each server retries on a clash
  const [temporal, hook] = await Promise.all([startEmbeddedTemporal({ dataDir, ui: true }), new DeployHookServer().start()]);
  try {
    const admin = await enforceMotoAuth(moto.endpoint);
    const aws = { region: 'us-east-1', endpoint: moto.endpoint, credentials: admin };

    const iam = new IAMClient(aws);
    const user = `billing-bot-${Date.now().toString(36)}`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const leaked = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    say(`IAM user ${user} has key ${redactId(leaked.AccessKeyId!)}; it is used by a Secrets Manager secret, an SSM parameter and a deploy hook`);

    const inventoryFile = path.join(dataDir, 'inventory.yaml');
    writeFileSync(
      inventoryFile,
      `# written by npm run demo
# A report typed in by a person is not proof of a leak: Leakstop would map the blast radius and wait for an
# approver before containing. This demo's inventory trusts such reports to act at once.
trust:
  actAtOnce: [manual]
stores:
  prod-sm: { kind: aws-secrets-manager }
  prod-ssm: { kind: aws-ssm }
deployers:
  billing-api: { kind: http-hook, url: "${hook.url}", pollInterval: 200ms }
credentials:
  - provider: aws-iam
    owner: ${user}
    consumers:
      - { name: billing-api, store: prod-sm, key: prod/billing/aws, deploy: billing-api }
      - { name: billing-cron, store: prod-ssm, key: /prod/billing-cron/aws-secret, field: secretAccessKey }
`,
    );
    const inventory = await loadInventory(inventoryFile);

    const keys = loadCodecKeys(cfg.dataDir, process.env, (s) => console.log(`== ${s}`));
    const connection = await NativeConnection.connect({ address: temporal.address });
    const taskQueue = 'leakstop-demo';
    const deps = buildDeps({ inventory, aws, dataDir, reportsDir: path.join(cfg.dataDir, 'reports'), keys });
    const worker = await createWorker({ connection, taskQueue, deps, keys });
    const running = worker.run();

    const { client, close: closeClient } = await connectClient({ address: temporal.address, keys });
    say(`reporting ${redactId(leaked.AccessKeyId!)} as leaked in a public commit`);
    const t0 = Date.now();
    // Reported as a person would (trust: a plain report); the demo's inventory trusts that source to act at once.
    const { incidentId } = await new IncidentControl(client, taskQueue, sealerFor(keys)).report({
      provider: 'aws-iam',
      credentialId: leaked.AccessKeyId,
      requestedBy: 'demo',
      exposure: { source: 'manual', public: true, repository: 'acme/billing', path: '.env', line: 2, notes: 'demo leak' },
    });
    const state: IncidentState = await client.workflow.getHandle(incidentId).result();
    const elapsed = Date.now() - t0;

    say('the incident');
    console.log(render(state));
    const sts = new STSClient({ ...aws, credentials: { accessKeyId: leaked.AccessKeyId!, secretAccessKey: leaked.SecretAccessKey! }, maxAttempts: 1 });
    const oldKey = await sts.send(new GetCallerIdentityCommand({})).then(() => 'STILL WORKS', (e: Error) => `rejected (${e.name})`);
    say('result');
    console.log(`status:            ${state.status}`);
    console.log(`full runbook:      ${elapsed} ms (time to contain ${state.timeToContainMs} ms)`);
    console.log(`leaked key:        ${oldKey}`);
    console.log(`post-mortem:       ${state.postMortem?.url}`);
    console.log(`Temporal UI:       ${temporal.uiUrl}/namespaces/default/workflows/${incidentId}`);

    worker.shutdown();
    await running;
    await Promise.all([connection.close(), closeClient()]);
    if (process.stdout.isTTY && process.env.LEAKSTOP_DEMO_EXIT !== '1') {
      console.log('\nThe Temporal UI stays up until you press Ctrl-C.');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
    if (state.status !== 'completed' || !oldKey.startsWith('rejected')) process.exitCode = 1;
  } finally {
    await Promise.allSettled([moto.stop(), temporal.stop(), hook.stop()]);
  }
}

demo().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
