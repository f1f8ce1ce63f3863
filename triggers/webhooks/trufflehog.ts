import { fieldPath } from '../../domain/issues';
import { exposure, notes } from './exposure';
import { awsKeyIdIn, githubTokenId, hasProvider, noProvider } from './identify';
import type { Draft } from './reporting';
import { check, type Problem } from './request';
import { TruffleHogFindingSchema, type TruffleHogFinding } from './schemas';

/** What one document of a delivery turns into. */
export type Plan = { draft: Draft } | { ignore: string } | { problems: Problem[] };

/** TruffleHog detectors Leakstop has a provider for, by name and by number (proto/detectors.proto). */
const DETECTORS = new Map([
  ['AWS', { type: 2, provider: 'aws-iam' }],
  ['Github', { type: 8, provider: 'github-token' }],
]);

export function isTruffleHogFinding(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('DetectorName' in value || 'DetectorType' in value);
}

/**
 * `unverified`: what to do with a finding TruffleHog did not verify live. Ignored by default: anyone whose
 * text a scanner reads (a contributor's pull request) can put a key id beside a fake secret.
 */
export function planFinding(value: unknown, at: PropertyKey[], unverified: 'ignore' | 'report' = 'ignore'): Plan {
  const result = check(TruffleHogFindingSchema, value, at);
  if ('problems' in result) return result;
  const finding = result.data;
  const name = detectorName(finding);
  const detector = name === undefined ? undefined : DETECTORS.get(name);
  if (!name || !detector) return { ignore: `Leakstop has no provider for TruffleHog detector ${JSON.stringify((name ?? 'unknown').slice(0, 80))}` };
  if (!hasProvider(detector.provider)) return { ignore: noProvider(detector.provider, `TruffleHog detector ${name}`) };
  if (finding.Verified !== true && unverified === 'ignore') {
    return { ignore: `TruffleHog ${name} finding not verified live: ignored (the inventory's trust.unverifiedFindings: report would open an incident that waits for an approver)` };
  }
  const raw = finding.Raw;
  if (!raw) return { problems: [{ field: fieldPath([...at, 'Raw'], 'body'), message: `required for ${name} findings` }] };

  const common = { exposure: exposureOf(finding, name), requestedBy: 'generic:trufflehog' };
  const verified = finding.Verified === true;
  if (detector.provider === 'github-token') {
    return { draft: { at, input: { provider: 'github-token', credentialId: githubTokenId(raw), ...common }, secret: raw, verified } };
  }
  // TruffleHog's AWS detector also reports ABIA (STS bearer) and ACCA ids, which no IAM call can contain.
  if (/^(ABIA|ACCA)/.test(raw)) return { ignore: 'an AWS ABIA/ACCA credential is not an IAM access key' };
  const keyId = awsKeyIdIn(raw);
  if (keyId !== raw) return { problems: [{ field: fieldPath([...at, 'Raw'], 'body'), message: 'must be an AWS access key id (AKIA… or ASIA…)' }] };
  return { draft: { at, input: { provider: 'aws-iam', credentialId: keyId, ...common }, verified } };
}

function detectorName(finding: TruffleHogFinding): string | undefined {
  if (finding.DetectorName) return finding.DetectorName;
  const type = finding.DetectorType;
  if (typeof type === 'string') return type;
  return [...DETECTORS].find(([, d]) => d.type === type)?.[0];
}

function exposureOf(finding: TruffleHogFinding, detector: string) {
  const data = finding.SourceMetadata?.Data;
  const place = data?.Github ?? data?.Git ?? data?.Filesystem;
  return exposure('trufflehog', false, {
    url: place?.link,
    repository: place?.repository,
    commit: place?.commit,
    path: place?.file,
    line: place?.line,
    notes: notes(`TruffleHog ${detector} finding, ${finding.Verified ? 'verified live' : 'not verified'}`),
  });
}
