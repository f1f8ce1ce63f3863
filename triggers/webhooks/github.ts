import { HttpError } from '../respond';
import type { GitHubAlert, WebhookDeps } from './deps';
import { accepted, ignored, ok, pendingFor, unidentified, upstream, type Endpoint } from './endpoint';
import { exposure, notes, type ExposureInput } from './exposure';
import { catalog } from '../../providers';
import { reportAll } from './reporting';
import { header, parseJson, parsePayload } from './request';
import { GitHubActionSchema, GitHubAlertEventSchema, type GitHubAlertEvent } from './schemas';
import { githubDeliveryKey, githubSignature } from './signatures';

/** The actions that mean "a secret is (again, or more widely) exposed". A Map: a sender's string must not find `constructor`. */
const ACTIONS = new Map<string, readonly string[]>([
  ['secret_scanning_alert', ['created', 'reopened', 'publicly_leaked', 'validated']],
  ['secret_scanning_alert_location', ['created']],
]);

/** Names from a signed delivery, still kept short in replies and logs. */
const label = (s: string) => JSON.stringify(s.slice(0, 80));

export function githubEndpoint(deps: WebhookDeps): Endpoint {
  return {
    name: 'github',
    accepts: ['application/json'],
    authenticate: githubSignature(deps.github.secrets),
    deliveryKey: githubDeliveryKey,
    async handle(req) {
      const event = header(req.headers, 'X-GitHub-Event');
      if (!event) throw new HttpError(400, 'missing X-GitHub-Event header', ['X-GitHub-Event']);
      const payload = parseJson(req.raw.toString('utf8'));
      if (event === 'ping') return ok({ ok: true }, 'ping');
      const actions = ACTIONS.get(event);
      if (!actions) return ignored(`event ${label(event)} is not a secret scanning alert`);
      const { action } = parsePayload(GitHubActionSchema, payload);
      if (!actions.includes(action)) return ignored(`${event} action ${label(action)} does not expose a secret`);
      const e = parsePayload(GitHubAlertEventSchema, payload);
      if (action === 'validated' && e.alert.validity === 'inactive') return ignored('the secret was validated as inactive');
      // A type no provider module claims, or one its module ignores, is dropped before its secret is ever fetched.
      if (e.alert.secret_type) {
        const announced = catalog.forScanner('github-secret-scanning', e.alert.secret_type);
        if (!announced) return ignored(`Leakstop has no provider for secret type ${label(e.alert.secret_type)}`);
        const early = announced.recognise({ scanner: 'github-secret-scanning', type: e.alert.secret_type });
        if ('ignore' in early) return ignored(early.ignore);
      }

      const repo = { owner: e.repository.owner.login, name: e.repository.name };
      const ref = `${repo.owner}/${repo.name}#${e.alert.number}`;
      const alert = await upstream('the GitHub API', 502, () => deps.github.readAlert(repo, e.alert.number));
      const kind = catalog.forScanner('github-secret-scanning', alert.secretType);
      if (!kind) return ignored(`Leakstop has no provider for secret type ${label(alert.secretType)}`);
      const r = kind.recognise({ scanner: 'github-secret-scanning', type: alert.secretType, raw: alert.secret });
      if ('ignore' in r) return ignored(r.ignore);
      if (alert.state === 'resolved') return ignored(`alert ${ref} is already resolved`);

      const common = { exposure: exposureOf(e, alert), requestedBy: `github:${e.sender?.login ?? 'secret-scanning'}` };
      if ('credentialId' in r) {
        const input = { provider: kind.kind, credentialId: r.credentialId, ...common };
        return accepted((await reportAll(deps, [{ input, ...(r.secret !== undefined ? { secret: r.secret } : {}) }]))[0]);
      }
      const reason = `GitHub alert ${ref} (${alert.secretType}) ${'unidentified' in r ? r.unidentified : r.invalid}`;
      const pending = await pendingFor(deps, `github-${repo.owner}-${repo.name}-${e.alert.number}`, { ...common, reason });
      return unidentified({ githubAlert: { repository: `${repo.owner}/${repo.name}`, number: e.alert.number }, ...pending }, reason);
    },
  };
}

function exposureOf(e: GitHubAlertEvent, alert: GitHubAlert): ExposureInput {
  // A location event names the place just found; otherwise the alert's first location.
  const details = e.location?.details;
  const first = alert.locations[0];
  const place = details ? { commit: details.commit_sha, path: details.path, line: details.start_line } : { commit: first?.commitSha, path: first?.path, line: first?.startLine };
  const isPublic =
    e.repository.visibility === 'public' || e.repository.private === false || e.action === 'publicly_leaked' || e.alert.publicly_leaked === true || alert.publiclyLeaked === true;
  return exposure('github-secret-scanning', isPublic, {
    url: alert.htmlUrl,
    repository: `${e.repository.owner.login}/${e.repository.name}`,
    ...place,
    notes: notes(`GitHub secret scanning alert #${e.alert.number} (${alert.secretType}): ${e.action}`),
    alert: { repository: `${e.repository.owner.login}/${e.repository.name}`, number: e.alert.number },
  });
}
