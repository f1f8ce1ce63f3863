import type { WebhookDeps } from './deps';
import { acceptedAll, ignored, type Endpoint } from './endpoint';
import { exposure, isoTime, notes } from './exposure';
import { awsKeyIdIn } from '../../providers/aws-iam/kind';
import { reportAll } from './reporting';
import { invalid, parseJson, parsePayload } from './request';
import { AwsHealthEventSchema } from './schemas';
import { sharedSecretDeliveryKey, sharedSecretHeader } from './signatures';

/**
 * AWS Health's risk events about access keys, and whether the key was found in public. AWS raises
 * the "exposed" ones when it finds a key on a public site such as GitHub.
 */
const KEY_EVENTS = new Map([
  ['AWS_RISK_CREDENTIALS_EXPOSED', { public: true }],
  ['AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED', { public: true }],
  ['AWS_RISK_CREDENTIALS_COMPROMISED', { public: false }],
  ['AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED', { public: false }],
  ['AWS_RISK_IAM_QUARANTINE', { public: false }],
]);

/** An EventBridge rule on `source: aws.health` with an API destination whose connection sends a fixed header. */
export function awsHealthEndpoint(deps: WebhookDeps): Endpoint {
  return {
    name: 'aws-health',
    accepts: ['application/json'],
    authenticate: sharedSecretHeader(deps.awsHealth.headerName ?? 'x-leakstop-token', deps.awsHealth.sharedSecret),
    deliveryKey: sharedSecretDeliveryKey,
    async handle(req) {
      const e = parsePayload(AwsHealthEventSchema, parseJson(req.raw.toString('utf8')));
      if (e.source !== 'aws.health' || e['detail-type'] !== 'AWS Health Event') return ignored('not an AWS Health event');
      const code = e.detail.eventTypeCode;
      const kind = KEY_EVENTS.get(code);
      if (!kind) return ignored(`AWS Health event ${JSON.stringify(code.slice(0, 80))} is not about an access key`);
      const keyIds = [...new Set((e.detail.affectedEntities ?? []).flatMap((entity) => awsKeyIdIn(entity.entityValue ?? '') ?? []))];
      // AWS always names the key in these events; one without is refused loudly rather than dropped.
      if (!keyIds.length) throw invalid([{ field: 'detail.affectedEntities', message: 'names no AWS access key id' }]);

      const where = exposure('aws-health', kind.public, {
        detectedAt: isoTime(e.time),
        notes: notes(`AWS Health ${code}${e.detail.eventArn ? ` (${e.detail.eventArn})` : ''}`),
      });
      const drafts = keyIds.map((credentialId) => ({ input: { provider: 'aws-iam', credentialId, exposure: where, requestedBy: 'aws-health' } }));
      return acceptedAll(await reportAll(deps, drafts));
    },
  };
}
