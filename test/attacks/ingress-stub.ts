import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Trust } from '../../domain/trust';
import { createWebhookRoutes } from '../../triggers/webhooks';
import { SECRETS } from '../webhooks/harness';

/**
 * The webhook routes in-process with a recording `report`: which incidents a delivery asks for, and with
 * which trust. No Temporal: what reaches IncidentControl is the trigger's whole decision.
 */
export async function recordingIngress(o: { unverifiedFindings?: 'ignore' | 'report' } = {}) {
  const reports: { input: Record<string, any>; trust: Trust }[] = [];
  const unused = async () => {
    throw new Error('not used by this test');
  };
  const routes = createWebhookRoutes({
    report: async (input, trust) => {
      reports.push({ input: input as Record<string, any>, trust });
      return { incidentId: `leak-aws-${reports.length}`, joined: false };
    },
    unverifiedFindings: o.unverifiedFindings,
    github: { secrets: [SECRETS.github], readAlert: unused },
    gitguardian: { token: SECRETS.gitguardian },
    generic: { secret: SECRETS.generic },
    awsHealth: { sharedSecret: SECRETS.awsHealth },
    keepSecret: unused,
  });
  const server = createServer(async (req, res) => {
    if (!(await routes(req, res))) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    reports,
    async post(route: string, body: string, headers: Record<string, string>) {
      const res = await fetch(base + route, { method: 'POST', body, headers });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
