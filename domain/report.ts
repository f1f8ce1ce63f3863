import { redactId } from './credential';
import { severityOf, type IncidentState } from './incident';
import { isUnknown, type Known } from './results';

// The post-mortem, rendered from the incident's state. Pure: the sink decides where it goes.
// Every credential appears redacted; the state itself never holds a secret.

export function renderPostMortem(s: IncidentState): string {
  const cred = redactId(s.input.credentialId);
  const started = Date.parse(s.startedAt);
  const rel = (at: string) => `+${((Date.parse(at) - started) / 1000).toFixed(3)}s`;
  const exposure = s.input.exposure;
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);

  out(`# Post-mortem: leaked ${s.input.provider} credential ${cred}`, '');
  out('## Summary', '');
  out(
    `| | |`,
    `|---|---|`,
    `| Incident | \`${s.incidentId}\` |`,
    `| Status | **${s.status}** |`,
    `| Credential | \`${cred}\` (${s.input.provider}) |`,
    `| Owner | ${s.identification ? `${s.identification.owner}${s.identification.account ? ` in account ${s.identification.account}` : ''}` : 'not identified'} |`,
    `| Severity | ${severityOf(s.input)} |`,
    `| Reported | ${s.startedAt} via ${exposure.source} by ${s.input.requestedBy}${s.reports.length > 1 ? ` (and ${s.reports.length - 1} more report(s))` : ''} |`,
    `| Finished | ${s.finishedAt ?? 'still open'} |`,
    `| Time to contain | ${s.timeToContainMs !== undefined ? `${s.timeToContainMs} ms` : 'not contained'} |`,
    `| Containment policy | ${s.policy?.contain ?? 'unknown'} |`,
    `| New credential | ${s.newCredential ? `\`${redactId(s.newCredential.id)}\`` : 'none'} |`,
    `| Post-mortem opened | ${s.finishedAt ?? ''} |`,
    '',
  );

  out('## Exposure', '');
  for (const r of s.reports) {
    const e = r.exposure;
    const where = [e.repository && `repository ${e.repository}`, e.commit && `commit ${e.commit}`, e.path && `path ${e.path}${e.line ? `:${e.line}` : ''}`, e.url]
      .filter(Boolean)
      .join(', ');
    out(`- ${e.detectedAt ? `${e.detectedAt} ` : ''}${e.source}, ${e.public ? '**public**' : 'private'}${where ? `: ${where}` : ''} (reported by ${r.requestedBy})${e.notes ? ` — ${e.notes}` : ''}`);
  }
  out('');

  out('## Timeline', '', '| Time (UTC) | Since start | Phase | Event | By |', '|---|---|---|---|---|');
  for (const t of s.timeline) out(`| ${t.at} | ${rel(t.at)} | ${t.phase} | ${cell(t.event)} | ${t.by ?? ''} |`);
  out('', '```mermaid', 'timeline', `    title ${mermaidText(`${s.incidentId} (${cred})`)}`);
  for (const t of s.timeline) out(`    ${rel(t.at)} : ${mermaidText(`${t.phase} - ${t.event}`)}`);
  out('```', '');

  out('## Blast radius', '');
  const b = s.blastRadius;
  if (!b) {
    out('Not mapped (the step did not run or was skipped).', '');
  } else {
    const lastUsed = s.identification?.lastUsed;
    out(`- Owner: ${b.owner}; key status at triage: ${s.identification?.status ?? 'unknown'}`);
    out(`- Last used: ${lastUsed ? (isUnknown(lastUsed) ? `unknown (${lastUsed.reason})` : lastUsed.at ? `${lastUsed.at} ${lastUsed.service ?? ''} ${lastUsed.region ?? ''}`.trim() : 'never') : 'unknown'}`);
    out(`- Permissions: ${known(b.policies, (p) => [
      `attached ${list(p.attached)}`,
      `inline ${list(p.inline)}`,
      ...p.groups.map((g) => `group ${g.group} (attached ${list(g.attached)}, inline ${list(g.inline)})`),
    ].join('; '))}`);
    out(`- Recent activity (CloudTrail): ${known(b.recentActivity, (events) => (events.length ? events.map((e) => `${e.at} ${e.event}`).join(', ') : 'no events'))}`);
    out(`- Other keys of the owner: ${b.otherKeys.length ? b.otherKeys.map((k) => `${redactId(k.id)} (${k.status})`).join(', ') : 'none'}`);
    out(`- Consumers from the inventory: ${s.consumers.length ? s.consumers.map((c) => `${c.name} (${c.storeSpec.kind} ${c.key}${c.deployerSpec ? `, redeployed by ${c.deploy}` : ''})`).join('; ') : 'none known'}`);
    out('');
  }

  out('## Actions', '', '| Time (UTC) | Phase | Step | Outcome | Detail |', '|---|---|---|---|---|');
  for (const a of s.actions) out(`| ${a.at} | ${a.phase} | ${cell(a.step)} | ${a.outcome} | ${cell(a.detail)} |`);
  out('');

  out('## Verification', '');
  const v = s.verification;
  out(v ? `- New credential works: ${v.newWorks ? 'yes' : 'no'}${v.newIdentity ? ` (${v.newIdentity})` : ''}` : '- New credential: not verified');
  out(v ? `- Leaked credential disabled before revoke: ${v.oldDisabled ? 'yes' : 'no'}` : '');
  out(`- Leaked credential revoked: ${s.revocation ? s.revocation.summary : 'no'}`);
  for (const w of s.storeWrites) out(`- ${w.consumer}: ${w.store} \`${w.key}\` now at version ${w.version}`);
  for (const d of s.deploys) out(`- ${d.consumer}: deploy ${d.id} ${d.status}`);
  out('');

  out('## Root-cause questions', '');
  out(
    `- How did the credential reach ${exposure.repository ?? exposure.url ?? 'where it was found'}? A commit, a log line, a pasted snippet, client-side code, a build artifact?`,
    '- Was it sent or stored over an unsecured transport or in plain text (CI logs, chat, tickets)?',
    '- Why was a long-lived key used here at all, and who else could read the place it leaked to?',
    `- Did anyone use it between the leak and containment? Check the activity above${s.blastRadius && isUnknown(s.blastRadius.recentActivity) ? ' (CloudTrail was not available: check it by hand)' : ''}.`,
    '- Why did no control (pre-commit hook, push protection, secret scanning) stop it earlier?',
    '',
  );

  out('## Follow-ups', '');
  out(
    '- [ ] Replace the long-lived key with short-lived credentials (IAM roles, OIDC federation from CI) or a shorter rotation period.',
    '- [ ] Reduce the owner\'s permissions to least privilege for what the consumers actually do.',
    '- [ ] Turn on push protection and secret scanning for the repositories involved.',
    '- [ ] Add every consumer found during this incident to the Leakstop inventory.',
    ...(s.actions.some((a) => a.outcome !== 'done') ? ['- [ ] Finish by hand the steps that failed or were skipped (see Actions).'] : []),
    '',
  );
  return lines.join('\n');
}

function known<T>(value: Known<T>, show: (v: T) => string): string {
  return isUnknown(value) ? `unknown (${value.reason})` : show(value);
}

const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
// Mermaid's timeline uses ':' as its separator and '#' / ';' as syntax.
const mermaidText = (s: string) => s.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
