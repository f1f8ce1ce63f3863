import { redactId } from './credential';
import { markdownCode, markdownTableCell, markdownText } from './escape';
import type { IncidentState } from './incident';
import type { RotationFacts } from './rotation-window';

/** The rotation record (Markdown), in place of a post-mortem. Every outside value is escaped. */
export function renderRotationRecord(s: IncidentState & { rotation: RotationFacts }): string {
  const r = s.rotation;
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);
  const text = markdownText;
  const code = markdownCode;
  const row = (...cells: string[]) => `| ${cells.map(markdownTableCell).join(' | ')} |`;
  out(`# Rotation record: ${text(s.input.provider)} credential ${text(r.key)}`, '');
  out('| | |', '|---|---|');
  out(
    row('Rotation', code(s.incidentId)),
    row('Status', `**${text(s.status)}**`),
    row('Owner', text(s.identification?.owner ?? 'unknown')),
    row('Replaced', r.oldCredentialId ? code(redactId(r.oldCredentialId)) : 'nothing'),
    row('New credential', s.newCredential ? code(redactId(s.newCredential.id)) : 'none'),
    row('Window', r.window ? text(`${r.window.days.join(', ')} ${r.window.hours} UTC`) : 'any time'),
    row('Started', text(s.startedAt)),
    row('Finished', s.finishedAt ? text(s.finishedAt) : 'still running'),
  );
  if (r.waitedUntil) out(row('Waited for the window until', text(r.waitedUntil)));
  out('');
  if (r.nothing) out(`Nothing was rotated: ${text(r.nothing)}`, '');
  if (r.supersededBy) out(`A leak of this credential was reported while the rotation ran: incident ${code(r.supersededBy)} took over (containment first), and the rotation stopped.`, '');
  out('## Consumers', '');
  if (!s.consumers.length) out('The inventory lists none.', '');
  for (const c of s.consumers) {
    const w = s.storeWrites.find((x) => x.consumer === c.name);
    const d = s.deploys.find((x) => x.consumer === c.name);
    out(`- ${text(c.name)}: ${w ? `${text(w.store)} ${code(w.key)} version ${text(String(w.version))}` : 'not written'}${c.deploy ? `; ${d ? `deploy ${text(d.id)} ${text(d.status)}` : 'not redeployed'}` : ''}`);
  }
  out('');
  out('## Checks', '');
  out(`- Verification: ${s.verification ? text(s.verification.detail) : 'not run'}`);
  out(`- Old credential: ${s.revocation ? text(s.revocation.summary) : 'not revoked'}`, '');
  out('## Timeline', '', '| Time (UTC) | Phase | Event | By |', '|---|---|---|---|');
  for (const t of s.timeline) out(row(text(t.at), text(t.phase), text(t.event), t.by ? text(t.by) : ''));
  out('');
  return lines.join('\n');
}
