import { fieldPath } from '../../domain/issues';
import { exposure, notes } from './exposure';
import { catalog } from '../../providers';
import type { Draft } from './reporting';
import { check, type Problem } from './request';
import { TruffleHogFindingSchema, type TruffleHogFinding } from './schemas';

/** What one document of a delivery turns into. */
export type Plan = { draft: Draft } | { ignore: string } | { problems: Problem[] };

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
  // The provider modules say which detectors are theirs (by name or by number, proto/detectors.proto).
  const named = name !== undefined ? catalog.forScanner('trufflehog', name) : typeof finding.DetectorType === 'number' ? catalog.forScanner('trufflehog', finding.DetectorType) : undefined;
  // A credential TruffleHog proved live is never ignored for want of a module: the guided runbook takes it.
  const kind = named ?? (finding.Verified === true ? catalog.catchAll() : undefined);
  const label = name ?? String(finding.DetectorType ?? 'unknown');
  if (!kind) return { ignore: `Leakstop has no provider for TruffleHog detector ${JSON.stringify(label.slice(0, 80))}` };
  if (finding.Verified !== true && unverified === 'ignore') {
    return { ignore: `TruffleHog ${label} finding not verified live: ignored (the inventory's trust.unverifiedFindings: report would open an incident that waits for an approver)` };
  }
  const raw = finding.Raw;
  if (!raw) return { problems: [{ field: fieldPath([...at, 'Raw'], 'body'), message: `required for ${label} findings` }] };

  const r = kind.recognise({ scanner: 'trufflehog', type: label, raw });
  if ('ignore' in r) return { ignore: r.ignore };
  if ('invalid' in r) return { problems: [{ field: fieldPath([...at, 'Raw'], 'body'), message: r.invalid }] };
  if ('unidentified' in r) return { ignore: `TruffleHog ${label} finding: ${r.unidentified}` };
  const input = { provider: kind.kind, credentialId: r.credentialId, exposure: exposureOf(finding, label), requestedBy: 'generic:trufflehog' };
  return { draft: { at, input, ...(r.secret !== undefined ? { secret: r.secret } : {}), verified: finding.Verified === true } };
}

function detectorName(finding: TruffleHogFinding): string | undefined {
  if (finding.DetectorName) return finding.DetectorName;
  const type = finding.DetectorType;
  return typeof type === 'string' ? type : undefined;
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
