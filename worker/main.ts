import { createServer } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { redact } from '../domain/redact';
import { IncidentControl } from '../triggers/control';
import { createIngress } from '../triggers/http';
import { loadCodecKeys } from './codec';
import { loadConfig, loadInventory } from './config';
import { startEmbeddedTemporal, type EmbeddedTemporal } from './embedded-temporal';
import { ingressRoutes } from './ingress';
import { createLogger, installTemporalLogging } from './log';
import { notifiersFromEnv } from './notifiers';
import { clientOn, connectClient } from './temporal-client';
import { endpointOf, Metrics, metricsRoute, openIncidentsFrom } from './metrics';
import { freePort } from './net';
import { reconcileHygieneSchedule, reconcileRotationSchedules } from './schedules';
import { rotationYielder } from './rotations';
import { buildDeps, createWorker, sealerFor } from './wiring';
import { openVault } from './vault';

/**
 * `npm start`: the embedded Temporal dev server (unless TEMPORAL_ADDRESS is set), the worker and the
 * ingress. LEAKSTOP_ROLE=worker|ingress runs one of them, as the production compose file does.
 */
async function main(): Promise<void> {
  const log = createLogger();
  const cfg = loadConfig();
  const role = process.env.LEAKSTOP_ROLE ?? 'all';
  if (!['all', 'worker', 'ingress'].includes(role)) throw new Error(`LEAKSTOP_ROLE: must be all, worker or ingress, got "${role}"`);
  // The Temporal SDK's own worker metrics, served by its runtime on loopback and appended to /metrics.
  const sdkMetrics = role === 'ingress' ? undefined : `127.0.0.1:${Number(process.env.LEAKSTOP_SDK_METRICS_PORT) || (await freePort())}`;
  installTemporalLogging(log, 'WARN', sdkMetrics);
  const inventory = await loadInventory(cfg.inventoryPath); // a bad config stops start-up here, before anything runs
  const keys = loadCodecKeys(cfg.dataDir, process.env, (s) => log.warn(s));
  const httpPort = Number(process.env.LEAKSTOP_HTTP_PORT ?? 8080);

  let embedded: EmbeddedTemporal | undefined;
  let address = cfg.temporalAddress;
  if (!address) {
    embedded = await startEmbeddedTemporal({
      dataDir: cfg.dataDir,
      port: cfg.temporalPort,
      ui: true,
      uiPort: cfg.uiPort,
      codecEndpoint: `http://localhost:${httpPort}/codec`,
    });
    address = embedded.address;
    log.info(`embedded Temporal at ${address}, UI ${embedded.uiUrl}, data in ${cfg.dataDir}`);
  }

  const stops: (() => Promise<void>)[] = [];
  // One vault for the worker and the ingress of this process: shared by every host with LEAKSTOP_VAULT_URL.
  const vault = openVault({ dataDir: cfg.dataDir, url: cfg.vaultUrl, keys });
  stops.push(() => vault.close());
  const sdkMetricsUrl = sdkMetrics && `http://${sdkMetrics}/metrics`;
  const { client, close } = await connectClient({ address, namespace: cfg.namespace, keys });
  const metrics = new Metrics({ sdkMetricsUrl, ...(role !== 'worker' ? { openIncidents: () => openIncidentsFrom(client) } : {}) });
  const metricsToken = process.env.LEAKSTOP_METRICS_TOKEN || undefined;
  // The worker's connection. With the ingress in the same process (LEAKSTOP_ROLE=all), reports start
  // incidents through it with eager workflow start: the server hands the first workflow task straight back
  // to this worker instead of through matching, a round trip less before containment (npm run bench).
  const connection = role === 'ingress' ? undefined : await NativeConnection.connect({ address });
  const control =
    role === 'all'
      ? new IncidentControl(clientOn(connection!, { namespace: cfg.namespace, keys }), cfg.taskQueue, sealerFor(keys), { eagerStart: true })
      : new IncidentControl(client, cfg.taskQueue, sealerFor(keys));
  stops.push(close);
  if (connection) {
    const deps = { ...buildDeps({ inventory, aws: cfg.aws, github: cfg.github, dataDir: cfg.dataDir, reportsDir: cfg.reportsDir, vault, notifier: notifiersFromEnv(), report: (i) => control.report(i), rotations: rotationYielder(client, cfg.taskQueue, inventory), keys }), metrics, rotationSchedules: control };
    // LEAKSTOP_WORKFLOW_BUNDLE: workflows bundled ahead (bundleWorkflowCode), so a start need not bundle them.
    const worker = await createWorker({ connection, namespace: cfg.namespace, taskQueue: cfg.taskQueue, deps, keys, workflowBundlePath: process.env.LEAKSTOP_WORKFLOW_BUNDLE || undefined });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await connection.close();
    });
    log.info(`worker polling task queue ${cfg.taskQueue} in namespace ${cfg.namespace}`);
    // The inventory's schedules (the key-hygiene audit, scheduled rotations), made to match it.
    log.info(`hygiene audit schedule: ${await reconcileHygieneSchedule(client, cfg.taskQueue, inventory)}`);
    const rotations = Object.entries(await reconcileRotationSchedules(client, cfg.taskQueue, inventory));
    log.info(`rotation schedules: ${rotations.map(([key, did]) => `${key} ${did}`).join(', ') || 'none'}`);
    if (role === 'worker') {
      // A worker alone has no ingress: its metrics get a server of their own.
      const route = metricsRoute(metrics, metricsToken);
      const server = createServer((req, res) => void route(req, res).then((served) => served || res.writeHead(404).end()));
      const port = Number(process.env.LEAKSTOP_METRICS_PORT ?? 9464);
      await new Promise<void>((r) => server.listen(port, process.env.LEAKSTOP_HTTP_HOST ?? '0.0.0.0', r));
      stops.push(() => new Promise((r) => server.close(() => r())));
      log.info(`metrics on http://localhost:${port}/metrics`);
    }
  }
  if (role !== 'worker') {
    const routes = [metricsRoute(metrics, metricsToken), ...(await ingressRoutes({ cfg, keys, control, inventory, vault, log }))];
    const server = createIngress({ log, healthy: () => true, routes, observe: (p, status) => metrics.onRequest(endpointOf(p), status) });
    await new Promise<void>((r) => server.listen(httpPort, process.env.LEAKSTOP_HTTP_HOST ?? '0.0.0.0', r));
    stops.push(() => new Promise((r) => server.close(() => r())));
    log.info(`ingress on http://localhost:${httpPort} (GET /healthz, GET /metrics, POST /codec/*, /webhooks/*, /slack/events)`);
  }
  log.info('ready. Report a leak with: npm run leakstop -- incident start --credential <AKIA…> --by <you>');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}, stopping`);
    for (const s of stops.reverse()) await s().catch((err) => log.error({ err }, 'stop failed'));
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err) => {
    // Start-up errors are for the person at the terminal: plain text, redacted like everything else.
    console.error(`leakstop: ${redact(err instanceof Error ? err.message : String(err))}`);
    process.exitCode = 1;
  });
}
