import { IncidentInputSchema } from '../../domain/schemas';
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
}

/**
 * Every draft is validated before any is reported, so a delivery with one bad finding starts nothing;
 * secrets are stored only then, so a refused delivery leaves nothing in the vault.
 */
export async function reportAll(deps: Pick<WebhookDeps, 'report' | 'keepSecret'>, drafts: readonly Draft[]): Promise<Started[]> {
  const problems = drafts.flatMap((d) => {
    const result = check(IncidentInputSchema, d.input, d.at);
    return 'problems' in result ? result.problems : [];
  });
  if (problems.length) throw invalid(problems);

  const started: Started[] = [];
  for (const { input, secret } of drafts) {
    const handle = secret === undefined ? undefined : await upstream('the vault', 503, () => deps.keepSecret(String(input.provider), secret));
    started.push(await upstream('Temporal', 503, () => deps.report(handle ? { ...input, secretHandle: handle } : input)));
  }
  return started;
}
