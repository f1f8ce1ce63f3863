import { auditCredentials, auditSummary, planActions, renderAudit, type HygieneFinding, type HygienePlan, type ListedCredential } from '../domain/audit';
import { rotatingEntries } from '../domain/inventory';
import type { Inventory } from '../domain/schemas';
import type { Catalog } from './catalog';
import type { Registry } from './registry';

export interface AuditResult {
  listed: ListedCredential[];
  findings: HygieneFinding[];
  markdown: string;
  summary: string;
  /** Providers that could not list (denied, unreachable): the audit says so rather than pretending they are clean. */
  problems: { provider: string; problem: string }[];
  /** What to do about the findings, when the inventory's `hygiene.actions` asks for actions. */
  plan?: HygienePlan;
}

/** Lists what every provider can list and holds it against the inventory's hygiene rules, at `now`. */
export async function runAudit(o: { inventory: Inventory; registry: Registry; catalog: Catalog; now: Date }): Promise<AuditResult> {
  const listed: ListedCredential[] = [];
  const problems: AuditResult['problems'] = [];
  for (const kind of o.catalog.kinds) {
    const provider = o.registry.credential(kind);
    if (!provider.list) continue;
    try {
      listed.push(...(await provider.list()));
    } catch (err) {
      problems.push({ provider: kind, problem: (err as Error).message.slice(0, 300) });
    }
  }
  const h = o.inventory.hygiene;
  const rules = { maxAgeDays: parseInt(h.maxAge, 10), unusedForDays: parseInt(h.unusedFor, 10), expiryWarningDays: parseInt(h.expiryWarning, 10) };
  const covered = (c: ListedCredential) => o.inventory.credentials.some((e) => e.provider === c.provider && (e.credentialId === c.id || e.owner === c.owner));
  const findings = auditCredentials(listed, rules, covered, o.now);
  const display = (c: ListedCredential) => (o.catalog.has(c.provider) ? o.catalog.credential(c.provider).display(c.id) : c.id);
  let markdown = renderAudit(findings, listed, rules, o.now, display);
  if (problems.length) markdown += `\n## Not listed\n\n${problems.map((p) => `- ${p.provider}: ${p.problem.replace(/[\r\n]+/g, ' ')}`).join('\n')}\n`;
  // An old key's rotation is its inventory entry's, matched as a leak would be (by id or owner).
  const rotating = rotatingEntries(o.inventory);
  const rotationOf = (c: ListedCredential) => rotating.find(({ entry }) => entry.provider === c.provider && (entry.credentialId === c.id || entry.owner === c.owner))?.key;
  // Only what a provider can act on by its listed id is proposed for deactivation; the rest stays a finding.
  const plan = h.actions ? planActions(findings, h.actions, rotationOf, display, (c) => o.catalog.actsOn(c.provider, c.id)) : undefined;
  return { listed, findings, markdown, summary: auditSummary(findings, listed.length), problems, ...(plan ? { plan } : {}) };
}
