import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DeployHookServer } from '../worker/deploy-hook-server';
import { freePort } from '../worker/net';
import { controlFor, eventually, leakedKey, scratchDir, testEnv, uniqueQueue, useTemporal } from './support/env';
import { leakInput, standardInventory, waitForState } from './support/fixtures';

// GET /metrics of the real process (worker/main.ts, worker and ingress in one, as `npm start` runs them)
// against the run's Temporal and moto: one incident contained and finished, one waiting for an approver,
// one refused webhook. Then the Grafana dashboard in deploy/grafana: every metric a panel queries is one
// this process exports.

let client: Client;
const hook = new DeployHookServer();
useTemporal((c) => (client = c), hook);

const TOKEN = `metrics-${Date.now()}`;
let proc: ChildProcess;
let output = '';
let base = '';
let page = '';
let taskQueue = '';
let finishedId = '';

async function scrape(headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const res = await fetch(`${base}/metrics`, { headers });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  const env = testEnv();
  const dir = scratchDir('metrics');
  const fast = await leakedKey('metrics-fast');
  const held = await leakedKey('metrics-held');
  const inventory = path.join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `${standardInventory({ owner: fast.user, tag: fast.user, hookUrl: hook.url })}
  - { provider: aws-iam, owner: ${held.user}, policy: { approvals: [contain] } }
discovery: { sources: { prod-sm: { prefixes: ["${fast.user}/"] } }, discovered: report }
`,
  );
  taskQueue = uniqueQueue('metrics');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proc = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', 'worker', 'main.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.temporalAddress,
      LEAKSTOP_TASK_QUEUE: taskQueue,
      LEAKSTOP_DATA_DIR: dir,
      LEAKSTOP_CONFIG: inventory,
      LEAKSTOP_HTTP_PORT: String(port),
      LEAKSTOP_HTTP_HOST: '127.0.0.1',
      LEAKSTOP_AWS_ENDPOINT: env.motoEndpoint,
      AWS_ACCESS_KEY_ID: env.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.admin.secretAccessKey,
      LEAKSTOP_GENERIC_WEBHOOK_SECRET: 'metrics-generic-secret',
      LEAKSTOP_METRICS_TOKEN: TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  await eventually(async () => (output.includes('ready.') ? true : proc.exitCode !== null ? Promise.reject(new Error(output)) : undefined), 90_000, 'leakstop to start');

  const control = controlFor(client, taskQueue);
  const { incidentId } = await control.report(leakInput(fast.keyId), 'authoritative');
  finishedId = incidentId;
  await client.workflow.getHandle(incidentId).result();
  const waiting = await control.report(leakInput(held.keyId), 'authoritative');
  await waitForState(client, waiting.incidentId, (s) => s.waiting.some((w) => w.kind === 'approval'));
  // A webhook with a bad signature: refused, and counted.
  expect((await fetch(`${base}/webhooks/generic`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  page = (await scrape()).text;
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
});

/** The value of one sample line, e.g. `leakstop_x_count{provider="aws-iam",source="cli"}`. */
function sample(name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = page.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('only a scraper with the token is answered', async () => {
  expect((await scrape({})).status).toBe(401);
  expect((await scrape({ authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await scrape()).status).toBe(200);
});

test('time to contain, incident duration, the deploy and discovery are observed once per incident, by provider and source', () => {
  expect(sample('leakstop_time_to_contain_seconds_count', { provider: 'aws-iam', source: 'cli' })).toBe(1);
  expect(sample('leakstop_time_to_contain_seconds_sum', { provider: 'aws-iam', source: 'cli' })).toBeGreaterThan(0);
  expect(sample('leakstop_incidents_finished_total', { provider: 'aws-iam', status: 'completed' })).toBe(1);
  expect(sample('leakstop_incident_duration_seconds_count', { provider: 'aws-iam', status: 'completed' })).toBe(1);
  expect(sample('leakstop_deploy_duration_seconds_count', { deployer: 'http-hook', result: 'succeeded' })).toBe(1);
  // The finished incident searched the discovery source while containing (the held one may still be
  // searching when the page is read); the secret the inventory lists is not a find.
  expect(sample('leakstop_discovery_duration_seconds_count', { provider: 'aws-iam', found: 'no' })).toBeGreaterThanOrEqual(1);
  expect(sample('leakstop_discovery_duration_seconds_count', { provider: 'aws-iam', found: 'yes' })).toBeUndefined();
});

test('what waits for a person, the open incidents, and the webhooks’ answers', () => {
  expect(sample('leakstop_waiting_for_person', { kind: 'approval' })).toBe(1);
  const waitingOpen = page.split('\n').filter((l) => l.startsWith('leakstop_open_incidents{') && l.includes('status="waiting"'));
  expect(waitingOpen.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)).toBeGreaterThanOrEqual(1);
  expect(sample('leakstop_webhook_requests_total', { endpoint: 'generic', status: '401' })).toBe(1);
  // No label carries an id: neither the incident's nor the key's.
  expect(page).not.toContain(finishedId);
  expect(page).not.toMatch(/AKIA[A-Z0-9]{16}/);
});

test('the Temporal SDK’s own worker metrics are on the same page', () => {
  expect(page).toMatch(/^temporal_[a-z_]+/m);
  expect(page).toMatch(/^temporal_worker_task_slots_available\{/m);
});

test('every metric the Grafana dashboard queries is one the process exports', () => {
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', 'deploy', 'grafana', 'leakstop.json'), 'utf8'));
  const exported = new Set<string>();
  for (const line of page.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)/.exec(line);
    if (typed) {
      exported.add(typed[1]!);
      if (typed[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${typed[1]}${s}`);
    } else if (/^[a-z_]+[{ ]/.test(line)) exported.add(line.split(/[{ ]/)[0]!);
  }
  const panels: { title: string; targets?: { expr: string }[] }[] = dashboard.panels;
  expect(panels.length).toBeGreaterThanOrEqual(6);
  const missing: string[] = [];
  for (const p of panels) {
    expect(p.targets?.length).toBeGreaterThan(0);
    for (const t of p.targets!) {
      const names = t.expr.match(/\b(?:leakstop|temporal)_[a-z0-9_]+/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) if (!exported.has(n)) missing.push(`${p.title}: ${n}`);
    }
  }
  expect(missing).toEqual([]);
  expect(panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Time to contain (p50, p95, p99)', 'Open incidents by status']));
});
