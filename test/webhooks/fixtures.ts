import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import dotcom, { type WebhookDefinition } from '@octokit/webhooks-examples';
import type { GitHubAlert } from '../../triggers/webhooks';

// Delivery bodies as each sender documents them. GitHub's come from @octokit/webhooks-examples (its
// secret scanning examples ship with the GHES 3.5 set), changed only where they must point at test data.

const ghes: WebhookDefinition[] = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples/ghes-35/index.json'), 'utf8'));

function example(name: string): Record<string, any> {
  const definition = [...dotcom, ...ghes].find((d) => d.name === name);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no ${name} example`);
  return structuredClone(definition.examples[0]) as Record<string, any>;
}

let alertNumbers = 1000 + randomInt(1_000_000);
/** Alerts are numbered per test, so the GitHub stub can hold each test's own alert. */
export const nextAlertNumber = () => ++alertNumbers;

export const githubPing = () => example('ping');

export function githubAlertEvent(o: { number: number; action?: string; secretType?: string }): Record<string, any> {
  const e = example('secret_scanning_alert');
  e.action = o.action ?? 'created';
  e.alert.number = o.number;
  e.alert.secret_type = o.secretType ?? 'aws_access_key_id';
  return e;
}

export function githubLocationEvent(o: { number: number; path: string; line: number }): Record<string, any> {
  const e = example('secret_scanning_alert_location');
  e.alert.number = o.number;
  e.alert.secret_type = 'aws_access_key_id';
  e.location.details.path = o.path;
  e.location.details.start_line = o.line;
  return e;
}

/** What the GitHub REST API would answer for the alert; for aws_access_key_id the secret is the key id. */
export function githubAlert(number: number, secret: string, o: Partial<GitHubAlert> = {}): GitHubAlert {
  return {
    secretType: 'aws_access_key_id',
    secret,
    state: 'open',
    htmlUrl: `https://github.com/Codertocat/Hello-World/security/secret-scanning/${number}`,
    locations: [{ path: 'deploy/prod.env', startLine: 12, commitSha: 'f14d7debf9775f957cf4f1e8176da0786431f72b' }],
    ...o,
  };
}

/** GitGuardian's documented "incident_triggered" / "new_occurrence" payloads for an AWS key. */
export function gitguardianEvent(o: { id: number; action?: string; detector?: string; occurrence?: boolean }): Record<string, any> {
  const detector = o.detector ?? 'aws_iam';
  return {
    source: 'GitGuardian',
    timestamp: new Date().toISOString(),
    action: o.action ?? 'incident_triggered',
    message: 'A new incident has been detected.',
    target_user: 'GitGuardian',
    target_team: 'Security',
    custom_webhook_name: 'leakstop',
    incident: {
      id: o.id,
      date: '2024-05-02T10:15:31.666462Z',
      detector: { name: detector, display_name: detector === 'aws_iam' ? 'AWS Keys' : detector, nature: 'specific', family: 'credentials', detector_group_name: detector, detector_group_display_name: detector },
      secret_hash: 'c2VjcmV0LWhhc2g',
      hmsl_hash: 'a'.repeat(64),
      secret_revoked: false,
      validity: 'valid',
      occurrence_count: 1,
      status: 'triggered',
      regression: false,
      assignee_email: null,
      severity: 'critical',
      ignored_at: null,
      ignore_reason: null,
      resolved_at: null,
      gitguardian_url: `https://dashboard.gitguardian.com/workspace/1/incidents/${o.id}`,
      share_url: null,
      feedbacks: [],
    },
    ...(o.occurrence
      ? {
          occurrence: {
            id: o.id * 10,
            incident_id: o.id,
            kind: 'RLTM',
            sha: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
            author_name: 'dev',
            author_info: 'dev@example.com',
            date: '2024-05-02T10:15:30Z',
            presence: 'visible',
            url: 'https://github.com/acme/api/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904#diff-1',
            filepath: 'config/aws.env',
            change_type: 'addition',
            source: { id: 710, url: 'https://github.com/acme/api', type: 'github', full_name: 'acme/api', visibility: 'public', external_id: '42' },
          },
        }
      : {}),
  };
}

/** An AWS Health event as EventBridge delivers it (AWS Health User Guide's example, with our keys). */
export function awsHealthEvent(code: string, keyIds: string[]): Record<string, any> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: '123456789012',
    time: '2024-05-02T10:15:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      eventArn: `arn:aws:health:global::event/RISK/${code}/${code}_${randomInt(1e9)}`,
      service: 'RISK',
      eventTypeCode: code,
      eventTypeCategory: 'issue',
      startTime: 'Thu, 02 May 2024 10:15:00 GMT',
      eventDescription: [{ language: 'en_US', latestDescription: 'An access key was found on a public site.' }],
      affectedEntities: keyIds.map((entityValue) => ({ entityValue })),
    },
  };
}

/** One line of `trufflehog git --json` (pkg/output/json.go), AWS detector by default. */
export function truffleHogLine(o: { raw: string; detector?: string; type?: number; file?: string; line?: number }): string {
  return JSON.stringify({
    SourceMetadata: {
      Data: {
        Git: {
          commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
          file: o.file ?? 'config/settings.py',
          email: 'dev <dev@example.com>',
          repository: 'https://github.com/acme/api.git',
          timestamp: '2024-05-02 10:15:00 +0000',
          line: o.line ?? 7,
        },
      },
    },
    SourceID: 1,
    SourceType: 16,
    SourceName: 'trufflehog - git',
    DetectorType: o.type ?? 2,
    DetectorName: o.detector ?? 'AWS',
    DecoderName: 'PLAIN',
    Verified: true,
    Raw: o.raw,
    RawV2: `${o.raw}:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
    Redacted: o.raw,
    ExtraData: { account: '123456789012', resource_type: 'Access key' },
    StructuredData: null,
  });
}

/** Leakstop's own incident input, as a signer of the generic webhook sends it. */
export const leakInput = (credentialId: string, extra: Record<string, unknown> = {}) => ({
  provider: 'aws-iam',
  credentialId,
  exposure: { public: true, repository: 'acme/api', path: 'deploy/prod.env' },
  requestedBy: 'ci-scanner',
  ...extra,
});
