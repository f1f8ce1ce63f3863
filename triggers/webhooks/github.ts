import { HttpError } from '../respond';
import type { GitHubAlert, WebhookDeps } from './deps';
import { accepted, ignored, ok, pendingFor, unidentified, upstream, type Endpoint } from './endpoint';
import { exposure, notes, type ExposureInput } from './exposure';
import { awsKeyIdIn, githubTokenId, hasProvider, noProvider } from './identify';
import { reportAll } from './reporting';
import { header, parseJson, parsePayload } from './request';
import { GitHubActionSchema, GitHubAlertEventSchema, type GitHubAlertEvent } from './schemas';
import { githubDeliveryKey, githubSignature } from './signatures';

/** The actions that mean "a secret is (again, or more widely) exposed". A Map: a sender's string must not find `constructor`. */
const ACTIONS = new Map<string, readonly string[]>([
  ['secret_scanning_alert', ['created', 'reopened', 'publicly_leaked', 'validated']],
  ['secret_scanning_alert_location', ['created']],
]);

type Kind = 'aws-key' | 'aws-unidentified' | 'github-token' | { ignore: string };

/** GitHub's secret types (docs: "Supported secret scanning patterns") as Leakstop can act on them. */
function kindOf(secretType: string): Kind {
  switch (secretType) {
    case 'aws_access_key_id':
    case 'aws_temporary_access_key_id':
      return 'aws-key';
    case 'aws_secret_access_key':
    case 'aws_session_token':
      // The other halves of an AWS pair: the alert's secret is not the key id Leakstop acts on.
      return 'aws-unidentified';
    case 'github_personal_access_token':
    case 'github_oauth_access_token':
    case 'github_app_installation_access_token':
    case 'github_refresh_token':
      return hasProvider('github-token') ? 'github-token' : { ignore: noProvider('github-token', `secret type ${secretType}`) };
    case 'github_ssh_private_key':
      return { ignore: 'an SSH private key is not a token: Leakstop has no provider that rotates SSH keys' };
    case 'github_test_token':
      return { ignore: 'a GitHub test token grants no access' };
    default:
      return { ignore: `Leakstop has no provider for secret type ${label(secretType)}` };
  }
}

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
      // A type Leakstop cannot act on is dropped before its secret is ever fetched.
      const announced = e.alert.secret_type ? kindOf(e.alert.secret_type) : undefined;
      if (typeof announced === 'object') return ignored(announced.ignore);

      const repo = { owner: e.repository.owner.login, name: e.repository.name };
      const ref = `${repo.owner}/${repo.name}#${e.alert.number}`;
      const alert = await upstream('the GitHub API', 502, () => deps.github.readAlert(repo, e.alert.number));
      const kind = kindOf(alert.secretType);
      if (typeof kind === 'object') return ignored(kind.ignore);
      if (alert.state === 'resolved') return ignored(`alert ${ref} is already resolved`);

      const common = { exposure: exposureOf(e, alert), requestedBy: `github:${e.sender?.login ?? 'secret-scanning'}` };
      if (kind === 'github-token') {
        const input = { provider: 'github-token', credentialId: githubTokenId(alert.secret), ...common };
        return accepted((await reportAll(deps, [{ input, secret: alert.secret }]))[0]);
      }
      const keyId = kind === 'aws-key' ? awsKeyIdIn(alert.secret) : undefined;
      if (!keyId) {
        const reason = `GitHub alert ${ref} (${alert.secretType}) holds no AWS access key id`;
        const pending = await pendingFor(deps, `github-${repo.owner}-${repo.name}-${e.alert.number}`, { ...common, reason });
        return unidentified({ githubAlert: { repository: `${repo.owner}/${repo.name}`, number: e.alert.number }, ...pending }, reason);
      }
      return accepted((await reportAll(deps, [{ input: { provider: 'aws-iam', credentialId: keyId, ...common } }]))[0]);
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
