import { markdownCode, markdownTableCell, markdownText, mermaidText } from './escape';

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

// ---- Acting on findings (inventory `hygiene.actions`, workflows/hygiene.ts) ----
// A scheduled run proposes: unused keys are deactivated only once a named person approves, within a
// bounded wait; old keys whose inventory entry rotates on a schedule have that schedule run now.

/** `7d`, `48h`, `30m` → milliseconds (the inventory schema has validated the shape). */
export function approvalTimeoutMs(value: string): number {
  const n = Number(value.slice(0, -1));
  return n * ({ d: 86_400_000, h: 3_600_000, m: 60_000 } as Record<string, number>)[value.slice(-1)]!;
}

export interface HygieneActionSettings {
  deactivateUnused: 'ask' | 'never';
  rotateOld: 'trigger' | 'never';
  approvalTimeout: string;
}

/** A key a run proposes to act on: its public id (never a secret), and how people see it. */
export interface ProposedKey {
  provider: string;
  id: string;
  owner: string;
  display: string;
  /** The finding behind the proposal (`never used in 45 days`). */
  detail: string;
}

/** What a run proposes, from its findings and the inventory's `hygiene.actions`. */
export interface HygienePlan {
  deactivateUnused: 'ask' | 'never';
  rotateOld: 'trigger' | 'never';
  approvalTimeoutMs: number;
  /** Active unused keys, for an approver (only with `deactivateUnused: ask`). */
  unused: ProposedKey[];
  /** Old keys (only with `rotateOld: trigger`), each with its entry's rotation name when the entry rotates on a schedule. */
  old: (ProposedKey & { rotation?: string })[];
}

/** Proposals from the findings: one per key and kind. `rotationOf`: the rotation name of the entry covering a key, if it rotates. */
export function planActions(
  findings: readonly HygieneFinding[],
  settings: HygieneActionSettings,
  rotationOf: (c: ListedCredential) => string | undefined,
  display: (c: ListedCredential) => string,
  /** Whether the provider can deactivate this credential by its listed id (an AWS key id can; a GitHub token's grant id cannot). */
  deactivatable: (c: ListedCredential) => boolean = () => true,
): HygienePlan {
  const of = (kind: FindingKind) => {
    const seen = new Set<string>();
    return findings.filter((f) => f.kind === kind && f.credential.status === 'active' && !seen.has(f.credential.id) && seen.add(f.credential.id));
  };
  const proposed = (f: HygieneFinding): ProposedKey => ({ provider: f.credential.provider, id: f.credential.id, owner: f.credential.owner, display: display(f.credential), detail: f.detail });
  return {
    deactivateUnused: settings.deactivateUnused,
    rotateOld: settings.rotateOld,
    approvalTimeoutMs: approvalTimeoutMs(settings.approvalTimeout),
    unused: settings.deactivateUnused === 'ask' ? of('unused').filter((f) => deactivatable(f.credential)).map(proposed) : [],
    old:
      settings.rotateOld === 'trigger'
        ? of('old').map((f) => {
            const rotation = rotationOf(f.credential);
            return rotation ? { ...proposed(f), rotation } : proposed(f);
          })
        : [],
  };
}

/** A key-hygiene run as it stands (the hygieneStatus query): what it proposes, and what it waits for. */
export interface HygieneProgress {
  status: 'auditing' | 'rotating' | 'waiting' | 'deactivating' | 'done';
  actions: HygieneActions;
}

/** An approver's answer to a run's proposal: who, and which of the proposed keys (all of them without `keys`). */
export interface HygieneApproval {
  by: string;
  keys?: string[];
}

/** What deactivating one approved key did. */
export interface DeactivationResult {
  id: string;
  display: string;
  outcome: 'deactivated' | 'already inactive' | 'by hand' | 'failed';
  summary: string;
}

/** What a run did about its proposals; in its result and its report. */
export interface HygieneActions {
  deactivation?: {
    proposed: ProposedKey[];
    /** When the wait for an approval ends, or ended. */
    until: string;
    approval?: { by: string; at: string; keys: string[] };
    /** No approval came in time: nothing was deactivated. */
    timedOut?: boolean;
    results: DeactivationResult[];
    /** Proposed and still active: not approved, or no approval came in time. */
    left: ProposedKey[];
  };
  rotation?: {
    triggered: { name: string; key: ProposedKey }[];
    /** Not triggered, and why (the worker cannot reach schedules, or the trigger failed): a person runs `leakstop rotation trigger NAME`. */
    notTriggered: { name: string; key: ProposedKey; why: string }[];
    /** Old keys whose inventory entry does not rotate on a schedule: a person rotates them. */
    byHand: ProposedKey[];
  };
}

const MAX_BY = 100;

/**
 * Checks an approval against what the run proposed (the update's validator): a person must be named,
 * and only proposed keys may be approved. Returns the approved ids, or the refusal naming the field.
 */
export function checkApproval(req: unknown, proposed: readonly ProposedKey[]): { ok: true; by: string; keys: string[] } | { ok: false; message: string } {
  const r = (req ?? {}) as { by?: unknown; keys?: unknown };
  const by = typeof r.by === 'string' ? r.by.trim() : '';
  if (!by || by.length > MAX_BY) return { ok: false, message: `by: name the person who approves (1 to ${MAX_BY} characters)` };
  if (r.keys === undefined) return { ok: true, by, keys: proposed.map((k) => k.id) };
  if (!Array.isArray(r.keys) || r.keys.some((k) => typeof k !== 'string')) return { ok: false, message: 'keys: must be a list of key ids' };
  const keys = [...new Set(r.keys as string[])];
  if (!keys.length) return { ok: false, message: 'keys: name at least one key, or leave keys out to approve every proposed key' };
  const unknown = keys.filter((k) => !proposed.some((p) => p.id === k));
  if (unknown.length) {
    const shown = unknown.slice(0, 5).map((k) => (k.length > 40 ? `${k.slice(0, 12)}…` : k));
    return { ok: false, message: `keys: not proposed by this run: ${shown.join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} (proposed: ${proposed.map((p) => p.display).join(', ')})` };
  }
  return { ok: true, by, keys };
}

/** One line for a channel: what the run did about its proposals. */
export function actionsSummary(a: HygieneActions): string {
  const parts: string[] = [];
  const d = a.deactivation;
  if (d) {
    const done = d.results.filter((r) => r.outcome === 'deactivated').length;
    if (d.timedOut) parts.push(`${d.proposed.length} unused key(s) proposed for deactivation, no approval by ${d.until}: none deactivated`);
    else if (d.approval) parts.push(`${d.proposed.length} unused key(s) proposed, ${d.approval.keys.length} approved by ${d.approval.by}, ${done} deactivated, ${d.left.length} left active`);
    else parts.push(`${d.proposed.length} unused key(s) proposed for deactivation, waiting for an approval until ${d.until}`);
  }
  const r = a.rotation;
  if (r) parts.push(`${r.triggered.length} rotation(s) triggered, ${r.notTriggered.length} not triggered, ${r.byHand.length} old key(s) to rotate by hand`);
  return `Key hygiene actions: ${parts.join('; ') || 'none proposed'}.`;
}

/**
 * The report's actions section. Owners and ids come from providers, the run id from whoever started the
 * run: escaped. While the run waits, it says how to approve.
 */
export function renderActions(a: HygieneActions, runId: string): string {
  const row = (k: ProposedKey, last: string) => `| ${markdownTableCell(markdownText(k.display))} | ${markdownTableCell(markdownText(k.owner))} | ${markdownTableCell(markdownText(last))} |`;
  const lines = ['', '## Actions', '', markdownText(actionsSummary(a))];
  const d = a.deactivation;
  if (d) {
    lines.push('', `### Unused keys proposed for deactivation (${d.proposed.length})`, '');
    if (d.approval) lines.push(`Approved by ${markdownText(d.approval.by)} at ${d.approval.at}: ${d.approval.keys.length} key(s).`);
    else if (d.timedOut) lines.push(`No approval came by ${d.until}: nothing was deactivated.`);
    else lines.push(`Waiting for an approval until ${d.until}; without one nothing is deactivated. To approve: ${markdownCode(`leakstop audit approve ${runId} --by NAME [--key ID]…`)}`);
    lines.push('', '| credential | owner | now |', '| --- | --- | --- |');
    for (const k of d.proposed) {
      const result = d.results.find((r) => r.id === k.id);
      lines.push(row(k, result ? `${result.outcome}: ${result.summary}` : d.left.some((l) => l.id === k.id) && (d.approval || d.timedOut) ? 'left active' : `proposed: ${k.detail}`));
    }
  }
  const r = a.rotation;
  if (r) {
    lines.push('', `### Old keys to rotate (${r.triggered.length + r.notTriggered.length + r.byHand.length})`, '', '| credential | owner | rotation |', '| --- | --- | --- |');
    for (const t of r.triggered) lines.push(row(t.key, `triggered: ${t.name}`));
    for (const t of r.notTriggered) lines.push(row(t.key, `not triggered (${t.why}): leakstop rotation trigger ${t.name}`));
    for (const k of r.byHand) lines.push(row(k, `rotate by hand (no rotation schedule): ${k.detail}`));
  }
  return `${lines.join('\n')}\n`;
}
