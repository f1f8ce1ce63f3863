import path from 'node:path';
import type { Logger } from 'pino';
import type { SecretVault } from '../providers/types';
import { codecServer } from '../triggers/codec-server';
import type { IncidentControl } from '../triggers/control';
import { keepSecret } from '../triggers/keep-secret';
import type { PendingLeak } from '../workflows/identification-api';
import { GitHubSecretScanningAlerts } from '../providers/github/alerts';
import type { Route } from '../triggers/http';
import { createSlackApp } from '../triggers/slack/app';
import { loadSlackConfig } from '../triggers/slack/config';
import { createWebhookRoutes, DeliveryLog, type WebhookDeps } from '../triggers/webhooks';
import { AesGcmCodec, type CodecKeys } from './codec';
import type { LeakstopConfig } from './config';
import { boltLogger } from './log';
import type { Inventory } from '../domain/schemas';

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The ingress routes, each switched on by its configuration: the codec server always; scanner
 * webhooks (an endpoint without its secret rejects every request); Slack when its variables are set.
 */
export async function ingressRoutes(o: {
  cfg: LeakstopConfig;
  keys: CodecKeys;
  control: IncidentControl;
  /** For the trust rules the ingress applies (unverified TruffleHog findings); defaults without it. */
  inventory?: Inventory;
  vault: SecretVault;
  log: Logger;
  readGitHubAlert?: WebhookDeps['github']['readAlert'];
  env?: NodeJS.ProcessEnv;
  slackApiUrl?: string;
}): Promise<Route[]> {
  const env = o.env ?? process.env;
  const gh = o.cfg.github.token ? new GitHubSecretScanningAlerts({ baseUrl: o.cfg.github.baseUrl, auth: o.cfg.github.token }) : undefined;
  const routes: Route[] = [codecServer({ codec: new AesGcmCodec(o.keys), tokens: o.cfg.codecTokens, origins: o.cfg.codecOrigins })];

  routes.push(
    createWebhookRoutes({
      report: (input, trust) => o.control.report(input, trust),
      unverifiedFindings: o.inventory?.trust.unverifiedFindings,
      github: {
        secrets: list(env.LEAKSTOP_GITHUB_WEBHOOK_SECRETS),
        readAlert:
          o.readGitHubAlert ??
          (gh && ((repo, n) => gh.readAlert(`${repo.owner}/${repo.name}`, n))) ??
          (async () => {
            throw new Error('the GitHub API is not configured (LEAKSTOP_GITHUB_TOKEN, or a GitHub App: LEAKSTOP_GITHUB_APP_*)');
          }),
      },
      gitguardian: { token: env.LEAKSTOP_GITGUARDIAN_TOKEN ?? '' },
      generic: { secret: env.LEAKSTOP_GENERIC_WEBHOOK_SECRET ?? '' },
      awsHealth: { sharedSecret: env.LEAKSTOP_AWS_HEALTH_SECRET ?? '' },
      keepSecret: async (provider, secret, credentialId) => (await keepSecret(o.vault, 'leaked', provider, secret, credentialId)).handle,
      // The workflow validates the pending leak itself (its input schema), as it does for the Temporal UI.
      awaitIdentification: (reference, pending) => o.control.awaitIdentification(reference, pending as PendingLeak),
      log: (line) => o.log.info(line),
      // In the data folder, so a restarted ingress still knows what it handled (see delivery-log.ts for several hosts).
      deliveries: new DeliveryLog({ file: path.join(o.cfg.dataDir, 'webhook-deliveries.log'), warn: (message) => o.log.warn(message) }),
    }),
  );

  const slack = loadSlackConfig(env);
  if (slack) {
    const { handle } = await createSlackApp({
      config: slack,
      logger: boltLogger(o.log),
      control: o.control,
      clientOptions: o.slackApiUrl ? { slackApiUrl: o.slackApiUrl } : undefined,
      keepSecret: (provider, secret, purpose = 'new', credentialId) => keepSecret(o.vault, purpose, provider, secret, credentialId),
      onRefused: (incidentId, who, what) => {
        o.log.warn({ incidentId, who }, `refused: ${what}`);
        if (incidentId) void o.control.note(incidentId, who, `refused: ${what}`).catch(() => undefined);
      },
    });
    routes.push((req, res) => {
      if (!req.url?.startsWith('/slack/')) return false;
      handle(req, res);
      return true;
    });
  }
  return routes;
}
