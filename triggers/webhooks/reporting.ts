import { fieldPath } from '../../domain/issues';
import { catalog } from '../../providers';
import { controlFieldProblems } from '../incidents';
import type { Trust } from '../../domain/trust';
import type { Started, WebhookDeps } from './deps';
import { upstream } from './endpoint';
import { check, invalid } from './request';

/** One incident report a delivery asks for. */
export interface Draft {
  input: Record<string, unknown>;
  /** Where in the delivery it came from (`findings[2]`), to name bad fields. */
  at?: PropertyKey[];
  /** The leaked secret, for providers that need it: stored in the vault, only its handle is reported. */
  secret?: string;
  /** The scanner itself verified the credential live (TruffleHog's `Verified`). */
  verified?: boolean;
}

/**
 * Sources that checked the leak themselves: the GitHub endpoint reads the alert back through GitHub's API,
 * AWS Health is AWS's own finding. The endpoints set these sources; no sender can (the generic endpoint
 * always writes `generic`, TruffleHog findings `trufflehog`).
 */
const AUTHORITATIVE_SOURCES: ReadonlySet<string> = new Set(['github-secret-scanning', 'aws-health']);

/** Distinct credentials one delivery may report; 256 KiB of NDJSON would otherwise hold ~5,000. */
export const MAX_REPORTS_PER_DELIVERY = 100;

const trustOf = (d: Draft): Trust => (d.verified || AUTHORITATIVE_SOURCES.has(String((d.input.exposure as { source?: unknown })?.source)) ? 'authoritative' : 'reported');

/**
 * Every draft is validated before any is reported, so a delivery with one bad finding starts nothing;
 * secrets are stored only then, so a refused delivery leaves nothing in the vault. Several findings of
 * one credential in a delivery are one report (the first; a verified one wins).
 */
export async function reportAll(deps: Pick<WebhookDeps, 'report' | 'keepSecret'>, drafts: readonly Draft[]): Promise<Started[]> {
  const problems = drafts.flatMap((d) => {
    const result = check(catalog.IncidentInputSchema, d.input, d.at);
    const claimed = controlFieldProblems(d.input).map((p) => ({ ...p, field: fieldPath([...(d.at ?? []), p.field], 'body') }));
    return [...claimed, ...('problems' in result ? result.problems : [])];
  });
  if (problems.length) throw invalid(problems);
  const distinct = dedupe(drafts);
  if (distinct.size > MAX_REPORTS_PER_DELIVERY) {
    throw invalid([{ field: 'findings', message: `${distinct.size} distinct credentials in one delivery; at most ${MAX_REPORTS_PER_DELIVERY}: send them in several deliveries` }]);
  }

  const byKey = new Map<string, Started>();
  for (const [key, draft] of distinct) {
    const { input, secret } = draft;
    if (secret !== undefined) await upstream('the vault', 503, () => deps.keepSecret(String(input.provider), secret, String(input.credentialId)));
    byKey.set(key, await upstream('Temporal', 503, () => deps.report(input, trustOf(draft))));
  }
  return drafts.map((d) => byKey.get(keyOf(d))!);
}

const keyOf = (d: Draft) => `${String(d.input.provider)}\0${String(d.input.credentialId)}`;

function dedupe(drafts: readonly Draft[]): Map<string, Draft> {
  const out = new Map<string, Draft>();
  for (const d of drafts) {
    const seen = out.get(keyOf(d));
    if (!seen || (d.verified && !seen.verified)) out.set(keyOf(d), seen ? { ...seen, verified: true } : d);
  }
  return out;
}
