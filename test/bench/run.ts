import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateUserCommand, GetAccessKeyLastUsedCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import type { IncidentState } from '../../domain/incident';
import { IncidentControl } from '../../triggers/control';
import { createIngress } from '../../triggers/http';
import { createWebhookRoutes } from '../../triggers/webhooks';
import { buildDeps, createWorker, sealerFor } from '../../worker/wiring';
import { parseInventory } from '../../providers';
import { startEmbeddedTemporal } from '../../worker/embedded-temporal';
import { enforceMotoAuth, startMoto } from '../../worker/embedded-moto';
import { freePort } from '../../worker/net';
import { clientOn, connectClient } from '../../worker/temporal-client';
import { loadCodecKeys } from '../../worker/codec';
import { spawnWorker } from '../support/worker-child';
import { startPostgres } from '../support/postgres-server';
import { startTemporalCluster } from '../support/temporal-cluster';
import { discoveryBench } from './discovery';

// `npm run bench`: time to contain a leaked AWS key from a signed webhook's arrival, against the floor
// of a handler with no durability; a burst of leaked keys; and what one incident costs in Temporal.
// Everything runs on this machine: moto (auth enforced), a Temporal dev server and the production topology
// (the server built from Go on PostgreSQL, as docker-compose.yml runs it), one worker process on each.

const SECRET = 'bench-webhook-secret';
// BENCH_INCIDENTS and BENCH_BURST shrink the run while working on it; the numbers that count use the defaults.
const N = Number(process.env.BENCH_INCIDENTS ?? 100);
const BURST = Number(process.env.BENCH_BURST ?? 500);

/** A Temporal service to measure on: its frontend's address, the processes whose CPU counts, how to stop it. */
interface Topology {
  address: string;
  /** The worker in the bench's own process, its client on the worker's connection, starts requested eager. */
  eager?: boolean;
  processes: Record<string, number>;
  stop(): Promise<unknown>;
}

// BENCH_TOPOLOGIES=dev,cluster (both by default): the dev server (SQLite, one process), and the production
// topology of docker-compose.yml (test/support/temporal-cluster.ts: the server built from Go on PostgreSQL,
// frontend, two history nodes, matching and worker as separate processes).
const TOPOLOGIES: Record<string, (dir: string) => Promise<Topology>> = {
  'dev server': async (dir) => {
    const t = await startEmbeddedTemporal({ dataDir: path.join(dir, 'temporal') });
    return { address: t.address, processes: { 'temporal server': pidOf(path.join(dir, 'temporal')) }, stop: () => t.stop() };
  },
  // Eager workflow start: the ingress and the worker share a process and a connection (LEAKSTOP_ROLE=all),
  // so the server may hand a new incident's first workflow task back in the start's answer.
  'dev server, eager start': async (dir) => ({ ...(await TOPOLOGIES['dev server']!(dir)), eager: true }),
  cluster: async (dir) => {
    const pg = await startPostgres();
    try {
      const c = await startTemporalCluster({ postgres: pg, dir: path.join(dir, 'cluster') });
      const servers = Object.fromEntries([...c.processes.values()].map((p) => [p.name, p.child.pid!]));
      return { address: c.address, processes: { ...servers, postgresql: pidOf(pg.dir) }, stop: async () => (await c.stop(), await pg.stop()) };
    } catch (err) {
      await pg.stop();
      throw err;
    }
  },
};

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = mkdtempSync(path.join(tmpdir(), 'leakstop-bench-'));
  const moto = await startMoto();
  const stops: (() => Promise<unknown>)[] = [() => moto.stop()];
  try {
    const admin = await enforceMotoAuth(moto.endpoint);
    const aws = { region: 'us-east-1', endpoint: moto.endpoint, credentials: admin };
    const iam = new IAMClient({ ...aws, maxAttempts: 1 });
    process.env.LEAKSTOP_CODEC_KEYS ??= `bench:${Buffer.alloc(32, 7).toString('base64')}`;
    const bundlePath = await bundle(dir);
    const floor = floorServer(iam);
    const floorUrl = await listen(floor);
    stops.unshift(() => close2(floor));
    const short: Record<string, string> = { dev: 'dev server', eager: 'dev server, eager start' };
    const wanted = (process.env.BENCH_TOPOLOGIES ?? 'dev,eager,cluster').split(',').map((t) => short[t.trim()] ?? t.trim());
    const report: Record<string, unknown> = { machine: { cores: require('node:os').cpus().length, node: process.version } };
    for (const name of wanted) {
      const start = TOPOLOGIES[name];
      if (!start) throw new Error(`BENCH_TOPOLOGIES: unknown topology "${name}" (dev, eager, cluster)`);
      console.log(`\n## ${name}`);
      const topology = await start(path.join(dir, name.replace(/\W+/g, '-')));
      try {
        const r = await measure({ name, topology, dir: path.join(dir, `run-${name.replace(/\W+/g, '-')}`), iam, floorUrl, motoPid: pidOf(`-p ${new URL(moto.endpoint).port}`), admin, motoEndpoint: moto.endpoint, bundlePath });
        print(r);
        report[name] = r;
      } finally {
        await topology.stop().catch(() => undefined);
      }
    }
    // Discovery (leakstop inventory discover) over 1,000 Secrets Manager secrets and SSM parameters.
    report.discovery = await discoveryBench(aws);
    const out = path.join(__dirname, '..', '..', 'test-artifacts', 'bench.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nJSON: ${out}`);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

/** Time to contain over N incidents beside the floor, then the burst, on one topology. */
async function measure(o: { name: string; topology: Topology; dir: string; iam: IAMClient; floorUrl: string; motoPid: number; admin: { accessKeyId: string; secretAccessKey: string }; motoEndpoint: string; bundlePath: string }) {
  const { iam, floorUrl, topology } = o;
  mkdirSync(o.dir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    // The worker runs in its own process (as in production), so its memory is its own.
    process.env.LEAKSTOP_TEST_ENV = JSON.stringify({ dir: o.dir, temporalAddress: topology.address, motoEndpoint: o.motoEndpoint, admin: o.admin, bundlePath: o.bundlePath, uiUrl: '' });
    const taskQueue = `bench-${o.name.replace(/\W+/g, '-')}`;
    // BENCH_CPU_PROFILE=<dir>: the worker writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
    const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
    // The bench's reports come through the generic webhook, which is not proof of a leak by itself; its
    // inventory trusts that source, so containment starts at once, as it would for an authoritative one.
    const inventory = 'trust: { actAtOnce: [generic] }';
    const codecKeys = loadCodecKeys(o.dir);
    let client: Client;
    let workerPid: number;
    if (topology.eager) {
      const connection = await NativeConnection.connect({ address: topology.address });
      const dataDir = path.join(o.dir, 'worker');
      const deps = buildDeps({ inventory: parseInventory(inventory), aws: { region: 'us-east-1', endpoint: o.motoEndpoint, credentials: o.admin }, dataDir, reportsDir: path.join(dataDir, 'reports'), keys: codecKeys });
      const worker = await createWorker({ connection, taskQueue, deps, keys: codecKeys, workflowBundlePath: o.bundlePath });
      const running = worker.run();
      stops.unshift(async () => (worker.shutdown(), await running, await connection.close()));
      client = clientOn(connection, { keys: codecKeys });
      workerPid = process.pid;
    } else {
      const worker = await spawnWorker({ taskQueue, inventory, dataDir: path.join(o.dir, 'worker'), nodeArgs: profile, production: true });
      stops.unshift(() => worker.kill('SIGTERM'));
      const connected = await connectClient({ address: topology.address, keys: codecKeys });
      stops.unshift(connected.close);
      client = connected.client;
      workerPid = worker.child.pid!;
    }

    const ingress = createIngress({ healthy: () => true, routes: [webhooks(new IncidentControl(client, taskQueue, sealerFor(codecKeys), { eagerStart: topology.eager }))] });
    const leakstopUrl = await listen(ingress);
    stops.unshift(() => close2(ingress));
    const newKey = async (i: number) => {
      const user = `bench-${i}-${Date.now().toString(36)}`;
      await iam.send(new CreateUserCommand({ UserName: user }));
      return (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!.AccessKeyId!;
    };

    // 1. Time to contain, one incident at a time, beside the floor.
    const ttc: number[] = [];
    const direct: number[] = [];
    const costs: ReturnType<typeof cost>[] = [];
    const phases: Record<string, number>[] = [];
    for (let i = 0; i < N; i++) {
      const [a, b] = [await newKey(i), await newKey(i + N)];
      const t0 = Date.now();
      const res = await post(`${leakstopUrl}/webhooks/generic`, a);
      const { incidentId } = (await res.json()) as { incidentId: string };
      const state: IncidentState = await client.workflow.getHandle(incidentId).result();
      ttc.push(Date.parse(state.containment!.at!) - t0);
      const events = await history(client, incidentId);
      costs.push(cost(events));
      phases.push(breakdown(events, t0, Date.parse(state.containment!.at!)));
      const t1 = Date.now();
      const floorRes = await post(`${floorUrl}/contain`, b);
      if (floorRes.status !== 200) throw new Error(`floor failed: ${await floorRes.text()}`);
      direct.push(Date.now() - t1);
    }

    // 2. A burst: BURST keys reported at once (a leaked dump), 50 requests in flight.
    const keys = [];
    for (let i = 0; i < BURST; i++) keys.push(await newKey(10_000 + i));
    const rssBefore = peakRss(workerPid);
    const processes: Record<string, number> = { ...(topology.eager ? { 'bench + ingress + worker': process.pid } : { worker: workerPid, 'bench + ingress': process.pid }), ...topology.processes, moto: o.motoPid };
    const cpu0 = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuSeconds(pid, k === 'postgresql')]));
    const b0 = Date.now();
    const ids: string[] = [];
    await pool(keys, 50, async (k) => {
      const r = await post(`${leakstopUrl}/webhooks/generic`, k);
      ids.push(((await r.json()) as { incidentId: string }).incidentId);
    });
    const accepted = Date.now() - b0;
    const results = await pool(ids, 100, (id) => client.workflow.getHandle(id).result() as Promise<IncidentState>);
    const finished = Date.now() - b0;
    const containedBy = Math.max(...results.map((s) => Date.parse(s.containment!.at!))) - b0;
    const cpu = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, round(cpuSeconds(pid, k === 'postgresql') - cpu0[k]!)]));
    // The same cut for the burst, measured from the burst's start: where the last containments waited.
    // Workflow tasks that timed out, by kind: schedule-to-start (waited too long on a sticky queue) or
    // start-to-close (taken but not finished in time). Either is retried on the normal queue with a replay.
    const taskTimeouts: Record<string, number> = {};
    const burstPhases = await pool(results, 20, async (s) => {
      const events = await history(client, s.incidentId);
      for (const e of events.filter((x) => eventName(x) === 'WORKFLOW_TASK_TIMED_OUT')) {
        const kind = String(proto.api.enums.v1.TimeoutType[e.workflowTaskTimedOutEventAttributes!.timeoutType as number]).replace(/^TIMEOUT_TYPE_/, '').toLowerCase();
        taskTimeouts[kind] = (taskTimeouts[kind] ?? 0) + 1;
      }
      return breakdown(events, b0, Date.parse(s.containment!.at!));
    });
    const containedTimes = results.map((s) => Date.parse(s.containment!.at!) - b0);

    const report = {
      timeToContainMs: { n: N, ...percentiles(ttc) },
      floorMs: { n: N, ...percentiles(direct) },
      ratioP50: round(percentiles(ttc).p50 / percentiles(direct).p50),
      // Where the time to contain goes (median of each segment, from the workflow's own history).
      timeToContainBreakdownMs: Object.fromEntries(Object.keys(phases[0] ?? {}).map((k) => [k, percentiles(phases.map((p) => p[k]!)).p50])),
      burst: {
        keys: BURST,
        allAcceptedMs: accepted,
        allContainedMs: containedBy,
        halfContainedMs: percentiles(containedTimes).p50,
        allFinishedMs: finished,
        incidentsPerSecond: round((BURST / finished) * 1000),
        workerPeakRssMb: round(Math.max(peakRss(workerPid), rssBefore) / 1024),
        allCompleted: results.every((s) => s.status === 'completed'),
        workflowTaskTimeouts: Object.entries(taskTimeouts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none',
      },
      // CPU seconds each process spent during the burst, against the wall time and the machine's cores.
      burstBreakdownMs: Object.fromEntries(
        Object.keys(burstPhases[0] ?? {}).map((k) => {
          const p = percentiles(burstPhases.map((b) => b[k]!));
          return [k, { p50: p.p50, max: p.max }];
        }),
      ),
      burstCpuSeconds: { ...cpu, wall: round(finished / 1000), cores: require('node:os').cpus().length },
      costPerIncident: { historyEvents: percentiles(costs.map((c) => c.events)).p50, billableActions: percentiles(costs.map((c) => c.actions)).p50 },
      historyEventsByType: costs[0]?.byType,
      // The issue's targets: p50 within 3x the floor, at most 40 history events per incident, the burst contained in 30 s.
      targets: { ttcP50Under150ms: percentiles(ttc).p50 < 150, ttcP99Under500ms: percentiles(ttc).p99 < 500, within3xFloorAtP50: percentiles(ttc).p50 <= 3 * percentiles(direct).p50, historyEventsAtMost40: percentiles(costs.map((c) => c.events)).p50 <= 40, burstContainedUnder30s: containedBy < 30_000 },
    };
    return report;
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

async function bundle(dir: string): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { WORKFLOWS_PATH } = await import('../../worker/wiring');
  const { FAILURE_CONVERTER_PATH } = await import('../../worker/data-converter');
  const noop = () => undefined;
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop } });
  const file = path.join(dir, 'bundle.js');
  writeFileSync(file, code);
  return file;
}

function webhooks(control: IncidentControl) {
  const none = async () => {
    throw new Error('not used');
  };
  return createWebhookRoutes({
    report: (i, trust) => control.report(i, trust),
    github: { secrets: [], readAlert: none },
    gitguardian: { token: '' },
    generic: { secret: SECRET },
    awsHealth: { sharedSecret: '' },
    keepSecret: none,
  });
}

/** The floor: the same signed webhook, verified, then IAM called directly. No durability, no retries. */
function floorServer(iam: IAMClient): Server {
  return createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const ts = String(req.headers['x-leakstop-timestamp']);
    const ok = req.headers['x-leakstop-signature'] === `sha256=${createHmac('sha256', SECRET).update(`${ts}.`).update(raw).digest('hex')}`;
    if (!ok) return void res.writeHead(401).end();
    const keyId = JSON.parse(raw.toString()).credentialId as string;
    const owner = (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }))).UserName!;
    await iam.send(new UpdateAccessKeyCommand({ UserName: owner, AccessKeyId: keyId, Status: 'Inactive' }));
    res.writeHead(200).end();
  });
}

function post(url: string, keyId: string) {
  const body = JSON.stringify({ provider: 'aws-iam', credentialId: keyId, requestedBy: 'bench', exposure: { source: 'generic', public: true } });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-leakstop-timestamp': ts, 'x-leakstop-signature': `sha256=${sig}` } });
}

async function history(client: Client, id: string) {
  return (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
}

type HistoryEvent = Awaited<ReturnType<typeof history>>[number];
const eventName = (e: HistoryEvent) => String(proto.api.enums.v1.EventType[e.eventType as number] ?? e.eventType).replace(/^EVENT_TYPE_/, '');
const eventMs = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);

/** Temporal cost of one incident: history events, and the billable actions among them. */
function cost(events: HistoryEvent[]) {
  const billable = new Set(['WORKFLOW_EXECUTION_STARTED', 'ACTIVITY_TASK_SCHEDULED', 'TIMER_STARTED', 'MARKER_RECORDED', 'WORKFLOW_EXECUTION_SIGNALED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED']);
  const byType: Record<string, number> = {};
  for (const e of events) byType[eventName(e)] = (byType[eventName(e)] ?? 0) + 1;
  return { events: events.length, actions: events.filter((e) => billable.has(eventName(e))).length, byType };
}

/**
 * The time to contain cut at the history's own timestamps: the webhook until the workflow exists, until
 * its first workflow task starts, until the first-response activity (identify, plan, contain) starts,
 * and from then until the key is inactive.
 */
function breakdown(events: HistoryEvent[], webhookAt: number, containedAt: number): Record<string, number> {
  const acts = new Map<string, string>(); // scheduled event id -> activity type
  const at: Record<string, number> = {};
  for (const e of events) {
    const n = eventName(e);
    if (n === 'WORKFLOW_EXECUTION_STARTED') at.started ??= eventMs(e);
    if (n === 'WORKFLOW_TASK_STARTED') at.firstTask ??= eventMs(e);
    if (n === 'ACTIVITY_TASK_SCHEDULED') acts.set(String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!);
    if (n === 'ACTIVITY_TASK_STARTED' && acts.get(String(e.activityTaskStartedEventAttributes!.scheduledEventId)) === 'firstResponse') at.firstResponse ??= eventMs(e);
  }
  return {
    'webhook → workflow started': at.started! - webhookAt,
    'started → first workflow task': at.firstTask! - at.started!,
    'first task → first response running': at.firstResponse! - at.firstTask!,
    'first response → key inactive (identify, plan, contain)': containedAt - at.firstResponse!,
  };
}

/** CPU time (user + system) a process has used so far, in seconds. */
/** CPU seconds of a process; with `children`, of its living children too (PostgreSQL's backends). */
function cpuSeconds(pid: number, children = false): number {
  const stat = (p: number | string) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After ") ": state, ppid, …; utime, stime, cutime, cstime at 11-14, in clock ticks (USER_HZ = 100).
  const own = stat(pid);
  let ticks = Number(own[11]) + Number(own[12]);
  if (!children) return ticks / 100;
  for (const child of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = stat(child);
      if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}

/** The pid of the one process whose command line contains `needle` (a server this bench started). */
function pidOf(needle: string): number {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process with "${needle}" in its command line`);
}

/** Peak resident memory of a process (VmHWM), in KiB. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function pool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

function percentiles(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1]! };
}

const round = (x: number) => Math.round(x * 100) / 100;
const listen = (s: Server) => new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
const close2 = (s: Server) => new Promise<void>((r) => s.close(() => r()));

function print(r: {
  timeToContainMs: ReturnType<typeof percentiles>;
  floorMs: ReturnType<typeof percentiles>;
  ratioP50: number;
  timeToContainBreakdownMs: Record<string, number | undefined>;
  burst: Record<string, unknown>;
  burstBreakdownMs: Record<string, { p50: number; max: number }>;
  burstCpuSeconds: Record<string, number>;
  costPerIncident: Record<string, number>;
  targets: Record<string, boolean>;
}) {
  const row = (name: string, p: ReturnType<typeof percentiles>) => `| ${name.padEnd(34)} | ${[p.p50, p.p95, p.p99, p.max].map((v) => String(v).padStart(6)).join(' | ')} |`;
  console.log('\n| time to contain (ms)               |    p50 |    p95 |    p99 |    max |');
  console.log('|------------------------------------|--------|--------|--------|--------|');
  console.log(row('Leakstop (webhook → key inactive)', r.timeToContainMs));
  console.log(row('floor (direct UpdateAccessKey)', r.floorMs));
  console.log(`\nratio at p50: ${r.ratioP50}x the floor`);
  console.log('\n| where the time to contain goes (p50 per segment) | ms |\n|---|---|');
  for (const [k, v] of Object.entries(r.timeToContainBreakdownMs)) console.log(`| ${k} | ${v} |`);
  console.log('\n| burst | value |\n|---|---|');
  for (const [k, v] of Object.entries(r.burst)) console.log(`| ${k} | ${v} |`);
  console.log('\n| where the burst waited (ms, from the burst start) | p50 | max |\n|---|---|---|');
  for (const [k, v] of Object.entries(r.burstBreakdownMs)) console.log(`| ${k} | ${v.p50} | ${v.max} |`);
  console.log('\n| CPU seconds during the burst | value |\n|---|---|');
  for (const [k, v] of Object.entries(r.burstCpuSeconds)) console.log(`| ${k} | ${v} |`);
  console.log('\n| cost per incident | value |\n|---|---|');
  for (const [k, v] of Object.entries(r.costPerIncident)) console.log(`| ${k} | ${v} |`);
  console.log('\n| target | met |\n|---|---|');
  for (const [k, v] of Object.entries(r.targets)) console.log(`| ${k} | ${v ? 'yes' : 'NO'} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
