import { catalog } from '../../providers';
import type { WebhookDeps } from './deps';
import { accepted, ignored, pendingFor, unidentified, type Endpoint } from './endpoint';
import { exposure, isoTime, notes, type ExposureInput } from './exposure';
import { reportAll } from './reporting';
import { parseJson, parsePayload } from './request';
import { GitGuardianEventSchema, type GitGuardianEvent } from './schemas';
import { gitguardianDeliveryKey, gitguardianSignature } from './signatures';

/** The events that mean "a secret is (again) exposed"; assignment, notes, severity changes are not. */
const LEAK_ACTIONS = ['incident_triggered', 'incident_reopened', 'incident_regression', 'new_occurrence'];


export function gitguardianEndpoint(deps: WebhookDeps): Endpoint {
  return {
    name: 'gitguardian',
    accepts: ['application/json'],
    authenticate: gitguardianSignature(deps.gitguardian.token, deps.now ?? Date.now),
    deliveryKey: gitguardianDeliveryKey,
    async handle(req) {
      const payload = parseJson(req.raw.toString('utf8'));
      // "Send test message" in GitGuardian's settings posts the legacy scan-result sample, without an action.
      if (isTestMessage(payload)) return ignored('GitGuardian test message');
      const e = parsePayload(GitGuardianEventSchema, payload);
      if (!LEAK_ACTIONS.includes(e.action)) return ignored(`action ${JSON.stringify(e.action.slice(0, 80))} does not expose a secret`);
      const { incident } = e;
      // The provider modules say which GitGuardian detectors are theirs.
      const provider = catalog.forScanner('gitguardian', incident.detector.name)?.kind;
      const detector = incident.detector.display_name ?? incident.detector.name;
      if (!provider) return ignored(`Leakstop has no provider for GitGuardian detector ${JSON.stringify(incident.detector.name.slice(0, 80))}`);

      // The payload carries hashes of the secret, never the secret: only the inventory can name it.
      const credentialId = deps.gitguardian.identify?.(incident);
      if (!credentialId) {
        const reason = `GitGuardian incident ${incident.id} (${detector}) matches no credential in the inventory`;
        const pending = await pendingFor(deps, `gitguardian-${incident.id}`, { exposure: exposureOf(e, detector), requestedBy: `gitguardian:${e.target_user ?? 'webhook'}`.slice(0, 200), reason });
        return unidentified({ gitguardianIncidentId: incident.id, ...pending }, reason);
      }
      const input = { provider, credentialId, exposure: exposureOf(e, detector), requestedBy: `gitguardian:${e.target_user ?? 'webhook'}`.slice(0, 200) };
      return accepted((await reportAll(deps, [{ input }]))[0]);
    },
  };
}

function isTestMessage(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && !('action' in payload) && (payload as { origin?: unknown }).origin === 'GitGuardian';
}

function exposureOf(e: GitGuardianEvent, detector: string): ExposureInput {
  const { incident, occurrence } = e;
  const source = occurrence?.source;
  return exposure('gitguardian', source?.visibility === 'public', {
    url: occurrence?.url ?? incident.gitguardian_url,
    repository: source?.full_name ?? source?.name,
    commit: occurrence?.sha,
    path: occurrence?.filepath,
    detectedAt: isoTime(incident.date),
    notes: notes(`GitGuardian incident ${incident.id} (${detector}): ${e.action}`),
  });
}
