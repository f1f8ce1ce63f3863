import { execFileSync } from 'node:child_process';
import { createHmac, randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { incidentIdFor } from '../../domain/fingerprint';
import { LocalFileVault } from '../../providers/local-vault/vault';
import { IncidentControl } from '../../triggers/control';
import { createIngress } from '../../triggers/http';
import { createWebhookRoutes, type GitGuardianIncident, type GitHubAlert } from '../../triggers/webhooks';
import { loadConfig } from '../../worker/config';
import { ingressRoutes } from '../../worker/ingress';
import { createLogger } from '../../worker/log';
import type { PendingLeak } from '../../workflows/identification-api';
import { codecKeys, temporalClient, uniqueQueue } from '../support/env';

// The webhook routes on a real node:http server, reporting through the real IncidentControl to the
// real Temporal dev server, with no worker on the task queue: an accepted delivery leaves a workflow
// that can be described, a refused one leaves none.

export const SECRETS = {
  github: 'gh-current-webhook-secret',
  githubPrevious: 'gh-previous-webhook-secret',
  gitguardian: 'gg-signature-token',
  generic: 'leakstop-generic-secret',
  awsHealth: 'aws-health-shared-token',
};

export interface Reply {
  status: number;
  body: Record<string, any>;
}

export interface Harness {
  client: Client;
  /** The task queue incidents are started on; no worker polls it. */
  taskQueue: string;
  /** What reached IncidentControl.report, in order. */
  reports: Record<string, any>[];
  /** Secrets handed to the vault. */
  kept: { provider: string; secret: string }[];
  logs: string[];
  /** Alert numbers read from "GitHub". */
  alertReads: number[];
  /** The stub GitHub API: alert number → alert. */
  alerts: Map<number, GitHubAlert>;
  /** The stub inventory for GitGuardian: incident id → credential id. */
  identities: Map<number, string>;
  post(route: string, body: string | Buffer, headers?: Record<string, string>, init?: RequestInit): Promise<Reply>;
  url(route: string): string;
  incidentExists(keyId: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function startHarness(
  o: {
    unknownAlert?: GitHubAlert;
    /** Wires IncidentControl.awaitIdentification, so unidentified leaks leave a pending workflow. */
    pending?: boolean;
  } = {},
): Promise<Harness> {
  const { client, close: closeClient } = await temporalClient();
  const taskQueue = uniqueQueue('webhooks-no-worker');
  const control = new IncidentControl(client, taskQueue);
  const h = {
    reports: [] as Record<string, any>[],
    kept: [] as { provider: string; secret: string }[],
    logs: [] as string[],
    alertReads: [] as number[],
    alerts: new Map<number, GitHubAlert>(),
    identities: new Map<number, string>(),
  };
  const routes = createWebhookRoutes({
    report: (input, ...rest) => {
      h.reports.push(input as Record<string, any>);
      return control.report(input, ...rest);
    },
    github: {
      secrets: [SECRETS.github, SECRETS.githubPrevious],
      async readAlert(_repo, n) {
        h.alertReads.push(n);
        const alert = h.alerts.get(n) ?? o.unknownAlert;
        if (!alert) throw new Error(`no alert #${n} in the stub`);
        return alert;
      },
    },
    gitguardian: { token: SECRETS.gitguardian, identify: (incident: GitGuardianIncident) => h.identities.get(incident.id) },
    generic: { secret: SECRETS.generic },
    awsHealth: { sharedSecret: SECRETS.awsHealth },
    keepSecret: async (provider, secret) => {
      h.kept.push({ provider, secret });
      return `vault:${h.kept.length}`;
    },
    log: (line) => h.logs.push(line),
    ...(o.pending ? { awaitIdentification: (reference: string, pending: unknown) => control.awaitIdentification(reference, pending as PendingLeak) } : {}),
  });
  const server = createServer(async (req, res) => {
    if (!(await routes(req, res))) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    client,
    taskQueue,
    ...h,
    url: (route) => base + route,
    async post(route, body, headers = {}, init = {}) {
      const res = await fetch(base + route, { method: 'POST', body, headers, ...init });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    async incidentExists(keyId) {
      try {
        await client.workflow.getHandle(incidentIdFor('aws-iam', keyId)).describe();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await closeClient();
    },
  };
}

export interface Ingress {
  url(route: string): string;
  /** The JSON lines the ingress's logger wrote. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * The whole ingress as worker/main.ts builds it (worker/ingress.ts routes on triggers/http.ts's
 * server), configured by `env` alone, on a free loopback port.
 */
export async function startIngress(o: { client: Client; taskQueue: string; env: Record<string, string>; control?: IncidentControl; slackApiUrl?: string }): Promise<Ingress> {
  const cfg = loadConfig(o.env);
  const logs: string[] = [];
  const log = createLogger({ write: (line: string) => void logs.push(line) }, 'info');
  const control = o.control ?? new IncidentControl(o.client, o.taskQueue);
  const vault = new LocalFileVault(path.join(cfg.dataDir, 'vault'));
  const routes = await ingressRoutes({ cfg, keys: codecKeys(), control, vault, log, env: o.env, slackApiUrl: o.slackApiUrl });
  const server = createIngress({ healthy: () => true, routes, log });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (route) => base + route,
    logs,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A fresh, well-formed access key id, so every test has its own incident. */
export const newKeyId = () => `AKIA${Array.from({ length: 16 }, () => BASE32[randomInt(32)]).join('')}`;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---- Signing, written from each sender's documentation, independently of the code under test ----

export function signedGeneric(body: string | Buffer, o: { secret?: string; at?: number; contentType?: string } = {}): Record<string, string> {
  const timestamp = String(o.at ?? nowSeconds());
  const mac = createHmac('sha256', o.secret ?? SECRETS.generic).update(`${timestamp}.`).update(body).digest('hex');
  return { 'content-type': o.contentType ?? 'application/json', 'x-leakstop-timestamp': timestamp, 'x-leakstop-signature': `sha256=${mac}` };
}

export function gitguardianSignature(timestamp: string, token: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', timestamp + token).update(body).digest('hex')}`;
}

export function signedGitGuardian(body: string | Buffer, o: { token?: string; at?: number } = {}): Record<string, string> {
  const timestamp = String(o.at ?? nowSeconds());
  return { 'content-type': 'application/json', timestamp, 'gitguardian-signature': gitguardianSignature(timestamp, o.token ?? SECRETS.gitguardian, body) };
}

/**
 * Signs with @octokit/webhooks itself, as GitHub's own library does. It is ESM-only, which jest on
 * Node 20 cannot load, so it runs in a plain Node child process.
 */
export function octokitSign(secret: string, payload: string): string {
  const script =
    "const {Webhooks}=require('@octokit/webhooks');let d='';process.stdin.on('data',c=>d+=c).on('end',async()=>{" +
    'const {secret,payload}=JSON.parse(d);process.stdout.write(await new Webhooks({secret}).sign(payload))})';
  return execFileSync(process.execPath, ['--no-warnings', '-e', script], {
    cwd: path.join(__dirname, '..', '..'),
    input: JSON.stringify({ secret, payload }),
    encoding: 'utf8',
  });
}

export function signedGitHub(event: string, body: string, secret = SECRETS.github): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': `delivery-${randomInt(1e9)}`, 'x-hub-signature-256': octokitSign(secret, body) };
}

export const awsHealthHeaders = (token = SECRETS.awsHealth): Record<string, string> => ({ 'content-type': 'application/json; charset=utf-8', 'x-leakstop-token': token });
