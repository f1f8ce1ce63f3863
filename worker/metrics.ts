import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SA } from '../workflows/definitions';
import type { IncidentEvent } from '../providers/types';

// What people on call look at, in Prometheus's format (GET /metrics): how fast leaks are contained, how
// long incidents take, what waits for a person, what the webhooks answered, how long deploys take; plus
// the Temporal SDK's own worker metrics (its runtime telemetry), appended to the same page. Labels are
// closed sets (provider kinds, sources, statuses, endpoint names): never an id, a name or a secret.

/** Incidents a process remembers having counted, so a retried notification is not counted twice. */
const REMEMBERED = 10_000;
const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

export interface OpenIncidentCount {
  status: string;
  phase: string;
  count: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly timeToContain = new Histogram({
    name: 'leakstop_time_to_contain_seconds',
    help: 'From the report to the leaked credential refused (or a person confirming it is), by provider and report source',
    labelNames: ['provider', 'source'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'leakstop_incident_duration_seconds',
    help: 'From the report to the post-mortem, by provider and how the incident ended',
    labelNames: ['provider', 'status'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: 'leakstop_incidents_finished_total',
    help: 'Incidents that ended, by provider and how they ended',
    labelNames: ['provider', 'status'] as const,
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'leakstop_webhook_requests_total',
    help: 'Requests to the ingress by endpoint and HTTP status',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  private readonly deploys = new Histogram({
    name: 'leakstop_deploy_duration_seconds',
    help: 'Redeploys, from the request to their end, by deployer kind and result',
    labelNames: ['deployer', 'result'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly discoveries = new Histogram({
    name: 'leakstop_discovery_duration_seconds',
    help: 'Searches of the discovery sources during incidents, by provider and whether they found a place the inventory does not list',
    labelNames: ['provider', 'found'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  /** Incident → what it waits for a person for now (kinds), from its latest notification. */
  private readonly waitingNow = new Map<string, string[]>();
  private readonly contained = new Set<string>();
  private readonly ended = new Set<string>();

  constructor(
    private readonly o: {
      /** Open incidents by status and phase, from Temporal's visibility (the ingress has the client). */
      openIncidents?: () => Promise<OpenIncidentCount[]>;
      /** Where the Temporal SDK's runtime serves its Prometheus metrics, to append them. */
      sdkMetricsUrl?: string;
    } = {},
  ) {
    const waitingNow = this.waitingNow;
    new Gauge({
      name: 'leakstop_waiting_for_person',
      help: "Steps of this worker's incidents that wait for a person now, by kind (approval, decision, manual)",
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const kinds of waitingNow.values()) for (const kind of kinds) this.inc({ kind });
      },
    });
    const open = o.openIncidents;
    if (open) {
      new Gauge({
        name: 'leakstop_open_incidents',
        help: 'Incidents not finished, by status and phase (Temporal visibility)',
        labelNames: ['status', 'phase'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const c of await open()) this.set({ status: c.status, phase: c.phase }, c.count);
        },
      });
    }
  }

  /** Every notification an incident sends passes here (activities' notify). */
  onEvent(e: IncidentEvent): void {
    const s = e.snapshot;
    if (s.waiting.length) this.waitingNow.set(e.incidentId, s.waiting.map((w) => w.kind));
    else this.waitingNow.delete(e.incidentId);
    if (e.phase === 'contain' && e.kind === 'done' && s.timeToContainMs !== undefined && remember(this.contained, e.incidentId)) {
      this.timeToContain.observe({ provider: s.provider, source: s.source ?? 'unknown' }, Math.max(0, s.timeToContainMs) / 1000);
    }
    if (e.kind === 'finished') {
      this.waitingNow.delete(e.incidentId);
      if (remember(this.ended, e.incidentId)) {
        this.finished.inc({ provider: s.provider, status: s.status });
        if (s.startedAt) this.duration.observe({ provider: s.provider, status: s.status }, Math.max(0, Date.now() - Date.parse(s.startedAt)) / 1000);
      }
    }
  }

  onRequest(endpoint: string, status: number): void {
    this.webhooks.inc({ endpoint, status: String(status) });
  }

  onDeploy(deployer: string, result: string, seconds: number): void {
    this.deploys.observe({ deployer, result }, seconds);
  }

  onDiscovery(provider: string, found: boolean, seconds: number): void {
    this.discoveries.observe({ provider, found: found ? 'yes' : 'no' }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The page Prometheus scrapes: Leakstop's metrics, then the SDK's (absent, with a comment, if it does not answer). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.o.sdkMetricsUrl) return own;
    try {
      const res = await fetch(this.o.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
      return `${own}\n${await res.text()}`;
    } catch (err) {
      return `${own}\n# Temporal SDK metrics unavailable: ${(err as Error).name}\n`;
    }
  }
}

/** Adds `id` to a bounded set; false when it was there (already counted). */
function remember(set: Set<string>, id: string): boolean {
  if (set.has(id)) return false;
  if (set.size >= REMEMBERED) set.delete(set.values().next().value!);
  set.add(id);
  return true;
}

/** Which endpoint a request path is, as a closed label set (anything else is "other"). */
export function endpointOf(path: string | undefined): string {
  const p = (path ?? '').split('?')[0]!;
  const hook = /^\/webhooks\/(github|gitguardian|generic|aws-health)$/.exec(p);
  if (hook) return hook[1]!;
  if (p.startsWith('/slack/')) return 'slack';
  if (p.startsWith('/codec/')) return 'codec';
  if (p === '/healthz' || p === '/metrics') return p.slice(1);
  return 'other';
}

/**
 * GET /metrics. With a token configured (LEAKSTOP_METRICS_TOKEN), only a scraper that sends it as a
 * bearer token is answered: metrics hold no secret, but say how busy the responder is.
 */
export function metricsRoute(metrics: Metrics, token?: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.url?.split('?')[0] !== '/metrics') return false;
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end(), true;
    if (token && !bearerMatches(req.headers.authorization, token)) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end(), true;
    const body = await metrics.text();
    res.writeHead(200, { 'content-type': metrics.contentType }).end(body);
    return true;
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Open incidents by status and phase, read from Temporal's visibility (bounded: the first 10,000). */
export async function openIncidentsFrom(client: Client, namespaceQuery = 'WorkflowType = "incidentWorkflow" AND ExecutionStatus = "Running"'): Promise<OpenIncidentCount[]> {
  const counts = new Map<string, OpenIncidentCount>();
  let seen = 0;
  for await (const wf of client.workflow.list({ query: namespaceQuery, pageSize: 1000 })) {
    if (++seen > 10_000) break;
    const status = wf.typedSearchAttributes.get(SA.status) ?? 'starting';
    const phase = wf.typedSearchAttributes.get(SA.phase) ?? 'triage';
    const key = `${status}\0${phase}`;
    const c = counts.get(key) ?? { status, phase, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()];
}
