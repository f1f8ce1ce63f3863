import { secretId } from '../../domain/fingerprint';
import type { CredentialKind, Finding, Recognition } from '../module';
import { renderSlackBlastRadius } from './blast-radius';
import { SLACK_MATERIAL_FIELDS, type SlackMaterial } from './material';
import { SLACK_PATTERNS } from './patterns';
import { detectSlackToken, SLACK_ENV_NAMES, slackKindOf } from './token-format';

// Slack tokens and incoming webhook URLs as Leakstop knows them: none has a public id, so an incident
// is named by a short hash of the value (the same from every trigger); the value waits in the vault.

const ID = /^sha256:[0-9a-f]{16}$/;

/** Scanners' names (GitHub: "Supported secret scanning patterns"; TruffleHog: proto/detectors.proto; GitGuardian: detector docs). */
const GITHUB_TYPES = ['slack_api_token', 'slack_incoming_webhook_url', 'slack_workflow_webhook_url'];
const TRUFFLEHOG_DETECTORS = ['Slack', 13, 'SlackWebhook', 30];
const GITGUARDIAN_DETECTORS = ['slackbot_token', 'slack_user_token', 'slack_app_token', 'slack_webhook_url'];

const WORKFLOW_WEBHOOK =
  'a Slack workflow webhook (Workflow Builder trigger) has no API to revoke or rotate it: delete the trigger in Workflow Builder and create a new one';

/** `sha256:0123abcd…`: enough of the id to tell incidents apart, short enough to read. */
export const shortId = (id: string) => (ID.test(id) ? `${id.slice(0, 15)}…` : 'sha256:…');

function recognise(f: Finding): Recognition {
  if (!f.raw) {
    if (f.type === 'slack_workflow_webhook_url') return { ignore: WORKFLOW_WEBHOOK };
    return { unidentified: f.scanner === 'gitguardian' ? 'GitGuardian sends a hash of the Slack token, not the token' : 'the finding holds no Slack token' };
  }
  const m = detectSlackToken(f.raw);
  if (!m) {
    if (f.scanner === 'pasted') return { invalid: 'paste the leaked Slack token or webhook URL itself (xoxb-…, xoxp-…, xoxe.…, xoxe-…, xapp-…, https://hooks.slack.com/services/…): it identifies the leak and goes to the vault' };
    if (f.type === 'slack_workflow_webhook_url') return { ignore: WORKFLOW_WEBHOOK };
    return { ignore: 'not a Slack token or incoming webhook URL that Leakstop can act on' };
  }
  if (m.kind === 'retired') return { ignore: 'a refresh token of a Slack workspace app (xoxr-), which Slack retired: it cannot be exchanged or checked; remove the app if it is still installed' };
  return { credentialId: secretId(m.canonical), secret: m.canonical };
}

export const slackTokenKind: CredentialKind = {
  kind: 'slack-token',
  idPrefix: 'slack-token',
  label: 'Slack token',
  reportHint: 'Slack: paste the leaked token or incoming webhook URL itself; it is kept in the vault, never shown.',
  checkId(id) {
    if (ID.test(id)) return undefined;
    // The value is never repeated: a person may have put the token itself here.
    if (detectSlackToken(id.trim())) return "must be the token's id (sha256:<16 hex>), not the token itself: report the token through a trigger (Slack, the CLI, a scanner), which keeps it in the vault";
    return "must be the token's id (sha256:<16 hex>), as Leakstop derives it from the token";
  },
  display: (id) => `slack ${shortId(id)}`,
  secretNames: /^SLACK_(BOT_|USER_|APP_)?TOKEN$|_SLACK_TOKEN$/i,
  patterns: SLACK_PATTERNS.leaks,
  scanners: { github: GITHUB_TYPES, trufflehog: TRUFFLEHOG_DETECTORS, gitguardian: GITGUARDIAN_DETECTORS },
  recognise,
  materialFields: SLACK_MATERIAL_FIELDS,
  fields: ['token', 'refreshToken'],
  render(material, field) {
    const m: SlackMaterial = material;
    if (!m?.secret) return undefined;
    if (field === 'token') return m.secret;
    if (field === 'refreshToken') return m.refreshToken;
    if (field !== 'json') return undefined;
    const kind = slackKindOf(m.secret);
    return JSON.stringify({ [kind ? SLACK_ENV_NAMES[kind] : 'SLACK_TOKEN']: m.secret, ...(m.refreshToken ? { [SLACK_ENV_NAMES.refresh]: m.refreshToken } : {}) });
  },
  renderBlastRadius: renderSlackBlastRadius,
};
