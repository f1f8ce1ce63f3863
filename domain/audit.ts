import { markdownTableCell, markdownText, mermaidText } from './escape';

// Key hygiene: what the providers can list, held against the inventory's rules. Pure: the clock is a
// parameter, so a test can stand in the future instead of faking creation dates.

/** A credential as a provider lists it (never its secret). */
export interface ListedCredential {
  provider: string;
  /** The public id (an AWS access key id). */
  id: string;
  owner: string;
  status: 'active' | 'inactive';
  createdAt?: string;
  /** ISO time of the last use; null when it was never used; undefined when the provider cannot tell. */
  lastUsedAt?: string | null;
  expiresAt?: string;
}

export interface HygieneRules {
  maxAgeDays: number;
  unusedForDays: number;
  expiryWarningDays: number;
}

export type FindingKind = 'old' | 'unused' | 'two-keys' | 'not-in-inventory' | 'expiring';

export interface HygieneFinding {
  kind: FindingKind;
  credential: ListedCredential;
  detail: string;
}

const DAY = 86_400_000;
const days = (ms: number) => Math.floor(ms / DAY);

/** Every finding, in a stable order (kind, then owner, then id). `covered`: whether the inventory lists it. */
export function auditCredentials(creds: readonly ListedCredential[], rules: HygieneRules, covered: (c: ListedCredential) => boolean, now: Date): HygieneFinding[] {
  const t = now.getTime();
  const out: HygieneFinding[] = [];
  for (const c of creds) {
    const age = c.createdAt ? t - Date.parse(c.createdAt) : undefined;
    if (c.status === 'active' && age !== undefined && age > rules.maxAgeDays * DAY) {
      out.push({ kind: 'old', credential: c, detail: `${days(age)} days old (the rule is ${rules.maxAgeDays})` });
    }
    if (c.status === 'active') {
      const since = c.lastUsedAt ? t - Date.parse(c.lastUsedAt) : c.lastUsedAt === null ? age : undefined;
      if (since !== undefined && since > rules.unusedForDays * DAY) {
        out.push({ kind: 'unused', credential: c, detail: c.lastUsedAt ? `last used ${days(since)} days ago` : `never used in ${days(since)} days` });
      }
    }
    if (c.expiresAt) {
      const left = Date.parse(c.expiresAt) - t;
      if (left <= rules.expiryWarningDays * DAY) out.push({ kind: 'expiring', credential: c, detail: left < 0 ? `expired ${days(-left)} days ago` : `expires in ${days(left)} days` });
    }
    if (!covered(c)) out.push({ kind: 'not-in-inventory', credential: c, detail: 'no inventory entry: a leak would find no consumers to update' });
  }
  const byOwner = new Map<string, ListedCredential[]>();
  for (const c of creds.filter((x) => x.status === 'active')) byOwner.set(`${c.provider}\0${c.owner}`, [...(byOwner.get(`${c.provider}\0${c.owner}`) ?? []), c]);
  for (const group of byOwner.values()) {
    if (group.length > 1) for (const c of group) out.push({ kind: 'two-keys', credential: c, detail: `${c.owner} has ${group.length} active keys: one is probably forgotten` });
  }
  const order: FindingKind[] = ['expiring', 'old', 'unused', 'two-keys', 'not-in-inventory'];
  return out.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.credential.owner.localeCompare(b.credential.owner) || a.credential.id.localeCompare(b.credential.id));
}

const TITLES: Record<FindingKind, string> = {
  expiring: 'Expiring or expired',
  old: 'Older than the rule',
  unused: 'Unused',
  'two-keys': 'Owners with more than one active key',
  'not-in-inventory': 'Not in the inventory',
};

/**
 * The report: a chart of key ages (Mermaid), then each kind of finding as a table. Owners and ids come
 * from the provider (an IAM user name is anyone's choice): escaped for Markdown and Mermaid.
 */
export function renderAudit(findings: readonly HygieneFinding[], creds: readonly ListedCredential[], rules: HygieneRules, now: Date, display: (c: ListedCredential) => string): string {
  const ages = creds.filter((c) => c.createdAt).map((c) => days(now.getTime() - Date.parse(c.createdAt!)));
  const buckets: [string, (d: number) => boolean][] = [
    ['< 30 d', (d) => d < 30],
    ['30-89 d', (d) => d >= 30 && d < 90],
    ['90-179 d', (d) => d >= 90 && d < 180],
    ['180-364 d', (d) => d >= 180 && d < 365],
    ['>= 1 y', (d) => d >= 365],
  ];
  const counts = buckets.map(([, inside]) => ages.filter(inside).length);
  const lines = [
    `# Key hygiene, ${now.toISOString().slice(0, 10)}`,
    '',
    `${creds.length} credential(s) listed, ${findings.length} finding(s). Rules: at most ${rules.maxAgeDays} days old, used within ${rules.unusedForDays} days, expiry warned ${rules.expiryWarningDays} days ahead.`,
    '',
    '```mermaid',
    'xychart-beta',
    `  title "${mermaidText('Key ages')}"`,
    `  x-axis [${buckets.map(([label]) => `"${label}"`).join(', ')}]`,
    `  y-axis "keys" 0 --> ${Math.max(1, ...counts)}`,
    `  bar [${counts.join(', ')}]`,
    '```',
  ];
  for (const kind of Object.keys(TITLES) as FindingKind[]) {
    const of = findings.filter((f) => f.kind === kind);
    if (!of.length) continue;
    lines.push('', `## ${TITLES[kind]} (${of.length})`, '', '| credential | owner | status | detail |', '| --- | --- | --- | --- |');
    for (const f of of) lines.push(`| ${markdownTableCell(markdownText(display(f.credential)))} | ${markdownTableCell(markdownText(f.credential.owner))} | ${f.credential.status} | ${markdownTableCell(markdownText(f.detail))} |`);
  }
  if (!findings.length) lines.push('', 'Nothing to do.');
  return `${lines.join('\n')}\n`;
}

/** A one-line summary for a Slack channel. */
export function auditSummary(findings: readonly HygieneFinding[], listed: number): string {
  if (!findings.length) return `Key hygiene: ${listed} credential(s), nothing to do.`;
  const n = (k: FindingKind) => new Set(findings.filter((f) => f.kind === k).map((f) => f.credential.id)).size;
  const parts = (Object.keys(TITLES) as FindingKind[]).filter((k) => n(k)).map((k) => `${n(k)} ${TITLES[k].toLowerCase()}`);
  return `Key hygiene: ${listed} credential(s); ${parts.join(', ')}.`;
}
