import type { IncomingMessage, ServerResponse } from 'node:http';
import { redact } from '../../domain/redact';
import { awsHealthEndpoint } from './aws-health';
import { DeliveryLog } from './delivery-log';
import type { WebhookDeps } from './deps';
import { serve, type Endpoint } from './endpoint';
import { genericEndpoint } from './generic';
import { gitguardianEndpoint } from './gitguardian';
import { githubEndpoint } from './github';

export { DeliveryLog } from './delivery-log';
export type { GitHubAlert, Started, WebhookDeps } from './deps';
export type { GitGuardianIncident } from './schemas';

/**
 * The scanner and alert webhooks, as one ingress route: it answers the four paths below and returns
 * false for any other, so the next route can try.
 */
export function createWebhookRoutes(deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const endpoints = new Map<string, Endpoint>([
    ['/webhooks/github', githubEndpoint(deps)],
    ['/webhooks/gitguardian', gitguardianEndpoint(deps)],
    ['/webhooks/generic', genericEndpoint(deps)],
    ['/webhooks/aws-health', awsHealthEndpoint(deps)],
  ]);
  const log = (line: string) => deps.log?.(redact(line));
  const deliveries = deps.deliveries ?? new DeliveryLog();
  return async (req, res) => {
    const endpoint = endpoints.get((req.url ?? '').split('?')[0]);
    if (!endpoint) return false;
    await serve(endpoint, req, res, log, deliveries);
    return true;
  };
}
