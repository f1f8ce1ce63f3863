import { fieldPath } from '../../domain/issues';
import { HttpError } from '../respond';
import type { WebhookDeps } from './deps';
import { accepted, acceptedAll, ignored, type Endpoint } from './endpoint';
import { reportAll, type Draft } from './reporting';
import { invalid, parseJson, type WebhookRequest } from './request';
import { leakstopDeliveryKey, leakstopSignature } from './signatures';
import { isTruffleHogFinding, planFinding, type Plan } from './trufflehog';

interface Document {
  value: unknown;
  /** Empty for a body that is one JSON object; `findings[i]` for a line or an array item. */
  at: PropertyKey[];
}

/** Any signer: a body that is Leakstop's incident input, or TruffleHog `--json` findings. */
export function genericEndpoint(deps: WebhookDeps): Endpoint {
  return {
    name: 'generic',
    accepts: ['application/json', 'application/x-ndjson', 'application/jsonl'],
    authenticate: leakstopSignature(deps.generic.secret, deps.now ?? Date.now),
    deliveryKey: leakstopDeliveryKey,
    async handle(req) {
      const docs = documentsOf(req);
      const plans = docs.map(({ value, at }) => (isTruffleHogFinding(value) ? planFinding(value, at, deps.unverifiedFindings) : incidentInput(value, at)));
      const problems = plans.flatMap((p) => ('problems' in p ? p.problems : []));
      if (problems.length) throw invalid(problems);

      const single = docs.length === 1 && docs[0].at.length === 0 && !isTruffleHogFinding(docs[0].value);
      const drafts = plans.flatMap((p, index) => ('draft' in p ? [{ index, draft: p.draft }] : []));
      const skipped = plans.flatMap((p, index) => ('ignore' in p ? [{ index, reason: p.ignore }] : []));
      const started = await reportAll(deps, drafts.map((d) => d.draft));
      if (single) return accepted(started[0]);
      if (!drafts.length) return ignored('no finding Leakstop can act on', { findings: skipped });
      return acceptedAll(started.map((s, i) => ({ index: drafts[i].index, ...s })), skipped);
    },
  };
}

/** One JSON value, a JSON array of them, or NDJSON (one per line, as `trufflehog --json` prints). */
function documentsOf(req: WebhookRequest): Document[] {
  const text = req.raw.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'body is empty', ['body']);
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  // TruffleHog's lines are often posted as application/json: a body that is not JSON whole is read by line.
  if (req.mediaType === 'application/json') {
    const whole = parsed(text);
    if (whole) return Array.isArray(whole.value) ? whole.value.map((value, i) => ({ value, at: ['findings', i] })) : [{ value: whole.value, at: [] }];
    if (lines.length < 2) throw new HttpError(400, 'body is not valid JSON', ['body']);
  }
  return lines.map((line, i) => ({ value: parseJson(line, fieldPath(['findings', i])), at: ['findings', i] }));
}

function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * Leakstop's own input; the source is always `generic`, since that is where it came from. A sender sets
 * no control field: which scanner alert to close is the GitHub endpoint's to say, trust is Leakstop's.
 */
function incidentInput(value: unknown, at: PropertyKey[]): Plan {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problems: [{ field: fieldPath(at, 'body'), message: 'must be a JSON object: an incident input or a TruffleHog finding' }] };
  }
  const given = (value as { exposure?: unknown }).exposure;
  if (typeof given === 'object' && given !== null && 'alert' in given) {
    return { problems: [{ field: fieldPath([...at, 'exposure', 'alert'], 'body'), message: 'set only by the GitHub endpoint, from the alert it read back through GitHub\'s API' }] };
  }
  const exposure = given === undefined ? { source: 'generic' } : typeof given === 'object' && given !== null ? { ...given, source: 'generic' } : given;
  const draft: Draft = { at, input: { ...value, exposure } };
  return { draft };
}
