import { markdownCode, markdownTableCell, markdownText, mermaidText } from '../../domain/escape';
import type { IncidentState } from '../../domain/incident';
import { renderPostMortem } from '../../domain/report';
import { catalog } from '../../providers';

/** As the writePostMortem activity renders it: the AWS module renders its own blast-radius facts. */
const rendered = (s: IncidentState) => renderPostMortem(s, catalog.credential('aws-iam').renderBlastRadius(s.blastRadius!.facts));
import { PolicySchema } from '../../domain/schemas';
import { GitHubIssueSink } from '../../providers/github/issue-sink';
import { FakeGitHub } from '../github/server';
import { classicToken } from '../github/tokens';

// A leak report carries text the attacker chose: the file name in the scanned repository, the
// commit, the repository, notes, the URL, who reported it. The post-mortem (Markdown, rendered by
// GitHub in an issue) must show that text as text: no heading, list item or fake line of its own,
// no link, image, HTML or @mention, no broken table, no extra Mermaid entry or directive.

const HOSTILE_PATH = 'x\n# Revoked: yes\n[click](http://evil.example) <img src=x onerror=alert(1)> @acme/security';
const HOSTILE_NOTES = 'a | b | c ` ``` %%{init: {"securityLevel": "loose"}}%% \r\n- [ ] done\n> quoted';
const at = (s: number) => new Date(Date.parse('2030-01-01T00:00:00.000Z') + s * 1000).toISOString();

function hostileState(): IncidentState {
  const exposure = {
    source: 'generic' as const,
    public: true,
    url: 'https://evil.example/x?<script>alert(1)</script>',
    repository: 'acme/api](http://evil.example)',
    commit: 'abc`def',
    path: HOSTILE_PATH,
    line: 3,
    notes: HOSTILE_NOTES,
  };
  return {
    incidentId: 'leak-aws-0123456789abcdef',
    input: { provider: 'aws-iam', credentialId: 'AKIAIOSFODNN7EXAMPLE', exposure, requestedBy: '<!channel> @acme/security' },
    status: 'completed',
    phase: 'post-mortem',
    startedAt: at(0),
    finishedAt: at(60),
    policy: PolicySchema.parse({}),
    tightened: [],
    alerts: [],
    reports: [
      { exposure, requestedBy: '<!channel> @acme/security' },
      { exposure: { source: 'slack', public: false, notes: '## Root cause: none\n| fake | row |' }, requestedBy: 'mallory\n- [x] approved by security' },
    ],
    identification: { owner: 'svc_billing', status: 'active', lastUsed: { at: at(-60), service: 's3 *bold*', region: 'us-east-1' } },
    blastRadius: {
      owner: 'svc_billing',
      facts: {
        policies: { attached: ['Admin<script>'], inline: ['[x](http://evil.example)'], groups: [] },
        recentActivity: [{ at: at(-30), event: 'GetObject\n# Owned' }],
        otherKeys: [],
      },
    },
    consumers: [],
    storeWrites: [{ consumer: 'api', store: 'aws-secrets-manager', key: 'svc/`api`', version: 'v1', changed: true }],
    deploys: [{ consumer: 'api', id: 'dep-1 @acme/security', status: 'succeeded' }],
    revocation: { summary: 'deleted AKIA…MPLE', changed: true },
    actions: [
      { phase: 'redeploy', step: 'redeploy api', outcome: 'failed', detail: 'hook answered 400: | injected | cell |\n# Revoked: yes', at: at(10) },
      { phase: 'revoke', step: 'revoke key', outcome: 'done', detail: 'deleted AKIA…MPLE', at: at(20) },
    ],
    timeline: [
      { at: at(0), phase: 'incident', event: `reported via generic: AKIA…MPLE`, by: '<!channel> @acme/security' },
      { at: at(5), phase: 'incident', event: `note: ${HOSTILE_NOTES}`, by: 'mallory | x' },
      { at: at(10), phase: 'redeploy', event: 'redeploy api failed: answered 400: a;b:c#d\n    +9.000s : forged entry' },
    ],
    waiting: [],
  };
}

const LEAKSTOP_HEADINGS = [
  '# Post-mortem: leaked aws-iam credential AKIA…MPLE',
  '## Summary',
  '## Exposure',
  '## Timeline',
  '## Blast radius',
  '## Actions',
  '## Verification',
  '## Root-cause questions',
  '## Follow-ups',
];

/** Cell separators of a GFM table row: pipes not escaped by a backslash (GFM counts `\\|` as escaped too). */
const columns = (row: string) => (row.match(/(?<!\\)\|/g) ?? []).length;

/** A line with its code spans blanked out (as CommonMark finds them): text in a code span is inert. */
const live = (line: string) => line.replace(/(?<![\\`])(`+)(?!`)(.*?[^`])\1(?!`)/g, '<code>');

/** The lines of the report outside the Mermaid block, and the block's lines. */
function split(md: string): { prose: string[]; mermaid: string[] } {
  const lines = md.split('\n');
  const start = lines.indexOf('```mermaid');
  const end = lines.indexOf('```', start + 1);
  return { prose: [...lines.slice(0, start), ...lines.slice(end + 1)], mermaid: lines.slice(start + 1, end) };
}

function expectInert(md: string) {
  const { prose, mermaid } = split(md);
  // Only Leakstop's own headings; no block the attacker started (heading, quote, task item).
  expect(prose.filter((l) => /^\s{0,3}#/.test(l))).toEqual(LEAKSTOP_HEADINGS);
  expect(prose.filter((l) => /^\s{0,3}>/.test(l))).toEqual([]);
  expect(prose.filter((l) => /^\s*[-*+] \[[ x]\]/.test(l) && !/^- \[ \] (Replace|Reduce|Turn on|Add every|Finish by hand)/.test(l))).toEqual([]);
  expect(prose.filter((l) => /^- Leaked credential revoked:/.test(l))).toHaveLength(1);
  // Outside code spans: no live Markdown link or image, autolink, raw HTML, @mention GitHub would
  // notify, or backtick that could open a span of its own.
  const text = prose.map(live).join('\n');
  expect(text).not.toMatch(/(?<!\\)\]\(/);
  expect(text).not.toMatch(/(?<!\\)<(?!code>)/);
  expect(text).not.toMatch(/(^|\W)@acme\/security/);
  expect(text).not.toMatch(/(?<!\\)`/);
  // Every table row keeps its header's column count.
  const tables: string[][] = [];
  prose.forEach((l, i) => {
    if (!l.startsWith('|')) return;
    if (!prose[i - 1]?.startsWith('|')) tables.push([]);
    tables.at(-1)!.push(l);
  });
  expect(tables).toHaveLength(3);
  for (const [header, ...rows] of tables) expect(rows.filter((r) => columns(r) !== columns(header!))).toEqual([]);
  // The Mermaid timeline: one entry per line, no directive, comment or extra separator.
  expect(mermaid[0]).toBe('timeline');
  expect(mermaid[1]).toMatch(/^ {4}title [^:]+$/);
  const entries = mermaid.slice(2);
  expect(entries).toHaveLength(3);
  for (const e of entries) expect(e).toMatch(/^ {4}\+\d+\.\d{3}s : [^:;#%{}<>`]+$/);
}

test('hostile exposure, notes, reporter and step details render as inert text in the post-mortem', () => {
  const md = rendered(hostileState());
  expectInert(md);
  // The values are still there for people to read, as text.
  expect(md).toContain('Revoked: yes');
  expect(md).toContain('onerror=alert(1)');
});

test('the same hostile post-mortem filed as a GitHub issue pings nobody and links nowhere', async () => {
  const gh = await new FakeGitHub().start();
  try {
    const auth = classicToken();
    gh.addToken(auth, { login: 'leakstop-bot', kind: 'classic-pat', scopes: ['repo'] });
    const sink = new GitHubIssueSink({ baseUrl: gh.url, auth, repository: 'acme/security' });
    await sink.open('leak-aws-0123456789abcdef', rendered(hostileState()));
    const [issue] = gh.issues('acme/security');
    expectInert(issue!.body!);
  } finally {
    await gh.stop();
  }
});

test('a value shown in backticks cannot close its code span, whatever backticks it holds', () => {
  for (const value of ['a`b', '`lead', 'trail`', 'x``y```z', '`', '']) {
    const span = markdownCode(value);
    const fence = /^`+/.exec(span)![0];
    // The fence is longer than any run inside, so only the closing fence closes the span ...
    expect(Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length))).toBeLessThan(fence.length);
    expect(span.endsWith(fence) && !span.endsWith(`\`${fence}`)).toBe(true);
    // ... and what is between the fences is the value (CommonMark strips the one padding space each side).
    const inner = span.slice(fence.length, -fence.length);
    expect(inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner).toBe(value === '' ? ' ' : value);
  }
  expect(markdownTableCell(markdownCode('a|b'))).toBe('`a\\|b`');
});

test('text placed at the start of a line still cannot start a heading, list item or quote', () => {
  expect(markdownText('# Revoked: yes')).toBe('\\# Revoked: yes');
  expect(markdownText('- [x] approved')).toBe('\\- \\[x\\] approved');
  expect(markdownText('1. done')).toBe('1\\. done');
  expect(markdownText('> quoted')).toBe('\\> quoted');
  expect(markdownText('see http://evil.example and www.evil.example, ask @acme/security about #12')).toBe(
    'see http\\://evil.example and www\\.evil.example, ask @\u200dacme/security about #\u200d12',
  );
  expect(mermaidText('a\n    +9.000s : b %%{init}%% c;d#e')).toBe('a +9.000s b init c d e');
});
