import { redactId } from '../../domain/credential';
import { markdownText } from '../../domain/escape';
import { isUnknown, type Known } from '../../domain/results';
import type { CredentialKind, Finding, Recognition } from '../module';
import { AWS_PATTERNS } from './patterns';

// AWS IAM access keys as Leakstop knows them: the id is public (AKIA…/ASIA…), the secret never travels.

const KEY_ID = new RegExp(`^${AWS_PATTERNS.accessKeyId}$`);
const KEY_ID_IN_TEXT = new RegExp(`(?<![A-Za-z0-9])${AWS_PATTERNS.accessKeyId}(?![A-Za-z0-9])`);

/** The access key id in a leaked value: the value itself, or the id half of an `id:secret` pair. */
export const awsKeyIdIn = (value: string) => KEY_ID_IN_TEXT.exec(value)?.[0];

/** What describe finds: the owner's permissions, the key's recent use, the owner's other keys. */
export interface AwsBlastRadiusFacts {
  policies: Known<{ attached: string[]; inline: string[]; groups: { group: string; attached: string[]; inline: string[] }[] }>;
  recentActivity: Known<{ at: string; event: string; source?: string }[]>;
  otherKeys: { id: string; status: string; createdAt?: string }[];
}

const GITHUB_TYPES = { id: ['aws_access_key_id', 'aws_temporary_access_key_id'], otherHalf: ['aws_secret_access_key', 'aws_session_token'] };

function recognise(f: Finding): Recognition {
  if (f.scanner === 'github-secret-scanning' && GITHUB_TYPES.otherHalf.includes(f.type ?? '')) {
    // The other halves of an AWS pair: the alert's secret is not the key id Leakstop acts on.
    return { unidentified: 'holds no AWS access key id' };
  }
  if (!f.raw) return { unidentified: 'the finding names no AWS access key id' };
  // TruffleHog's AWS detector also reports ABIA (STS bearer) and ACCA ids, which no IAM call can contain.
  if (/^(ABIA|ACCA)/.test(f.raw)) return { ignore: 'an AWS ABIA/ACCA credential is not an IAM access key' };
  const keyId = awsKeyIdIn(f.raw);
  if (f.scanner === 'github-secret-scanning') return keyId ? { credentialId: keyId } : { unidentified: 'holds no AWS access key id' };
  return keyId === f.raw ? { credentialId: keyId } : { invalid: 'must be an AWS access key id (AKIA… or ASIA…)' };
}

const list = (xs: string[]) => (xs.length ? xs.map(markdownText).join(', ') : 'none');
const known = <T>(v: Known<T>, show: (x: T) => string) => (isUnknown(v) ? `unknown (${markdownText(v.reason)})` : show(v));

export const awsIamKind: CredentialKind = {
  kind: 'aws-iam',
  idPrefix: 'aws',
  label: 'AWS access key',
  reportHint: 'AWS: the access key id (AKIA…), never the secret.',
  checkId: (id) => (KEY_ID.test(id) ? undefined : 'must be an AWS access key id: AKIA or ASIA followed by 16 characters A-Z, 2-7'),
  display: redactId,
  secretNames: /^(AWS_)?(SECRET_)?ACCESS_KEY(_ID)?$|^AWS_SECRET(_KEY)?$|^AWS_CREDENTIALS?$/i,
  idsInText: new RegExp(`\\b${AWS_PATTERNS.accessKeyId}\\b`, 'g'),
  patterns: AWS_PATTERNS.leaks,
  scanners: { github: [...GITHUB_TYPES.id, ...GITHUB_TYPES.otherHalf], trufflehog: ['AWS', 2], gitguardian: ['aws_iam'] },
  recognise,
  materialFields: { accessKeyId: 'fact', secretAccessKey: 'secret' },
  fields: ['accessKeyId', 'secretAccessKey'],
  render(material, field) {
    if (field === 'json') {
      if (!material.accessKeyId || !material.secretAccessKey) return undefined;
      return JSON.stringify({ AWS_ACCESS_KEY_ID: material.accessKeyId, AWS_SECRET_ACCESS_KEY: material.secretAccessKey });
    }
    return field === 'accessKeyId' || field === 'secretAccessKey' ? material[field] : undefined;
  },
  renderBlastRadius(raw) {
    const f = raw as unknown as AwsBlastRadiusFacts;
    return [
      `- Permissions: ${known(f.policies, (p) =>
        [`attached ${list(p.attached)}`, `inline ${list(p.inline)}`, ...p.groups.map((g) => `group ${markdownText(g.group)} (attached ${list(g.attached)}, inline ${list(g.inline)})`)].join('; '),
      )}`,
      `- Recent activity (CloudTrail): ${known(f.recentActivity, (events) => (events.length ? events.map((e) => markdownText(`${e.at} ${e.event}`)).join(', ') : 'no events'))}${isUnknown(f.recentActivity) ? ': check CloudTrail by hand for use between the leak and containment' : ''}`,
      `- Other keys of the owner: ${f.otherKeys.length ? f.otherKeys.map((k) => `${markdownText(redactId(k.id))} (${markdownText(k.status)})`).join(', ') : 'none'}`,
    ];
  },
};
