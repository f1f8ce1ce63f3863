import { redactId } from './credential';
import { markdownCode, markdownTableCell, markdownText, mermaidText } from './escape';
import { severityOf, type IncidentState } from './incident';
import { isUnknown, type Known } from './results';

// The post-mortem, rendered from the incident's state. Pure: the sink decides where it goes.
// Every credential appears redacted; the state itself never holds a secret.
// Much of the state is text from outside (a scanned file's name, a reporter's notes, a hook's error
// body): every value goes through an escaper of domain/escape.ts, so it shows as text and cannot add a
// heading, a line, a link, HTML or a mention. Only Leakstop's own words and formatting stay raw.

/** `blastRadius`: the provider module's lines for its own facts (CredentialKind.renderBlastRadius). */
export function renderPostMortem(s: IncidentState, blastRadius: string[] = []): string {
  const cred = redactId(s.input.credentialId);
  const started = Date.parse(s.startedAt);
  const rel = (at: string) => `+${((Date.parse(at) - started) / 1000).toFixed(3)}s`;
  const exposure = s.input.exposure;
  const lines: string[] = [];
  const out = (...l: string[]) => lines.push(...l);

  out(`# Post-mortem: leaked ${text(s.input.provider)} credential ${text(cred)}`, '');
  out('## Summary', '');
  const ident = s.identification;
  out(
    `| | |`,
    `|---|---|`,
    row('Incident', code(s.incidentId)),
    row('Status', `**${text(s.status)}**`),
    row('Credential', `${code(cred)} (${text(s.input.provider)})`),
    row('Owner', ident ? `${text(ident.owner)}${ident.account ? ` in account ${text(ident.account)}` : ''}` : 'not identified'),
    row('Severity', text(severityOf(s.input))),
    row('Reported', `${text(s.startedAt)} via ${text(exposure.source)} by ${text(s.input.requestedBy)}${s.reports.length > 1 ? ` (and ${s.reports.length - 1} more report(s))` : ''}`),
    row('Finished', s.finishedAt ? text(s.finishedAt) : 'still open'),
    row('Time to contain', s.timeToContainMs !== undefined ? `${s.timeToContainMs} ms` : 'not contained'),
    row('Containment policy', s.policy ? text(s.policy.contain) : 'unknown'),
    row('New credential', s.newCredential ? code(redactId(s.newCredential.id)) : 'none'),
    row('Post-mortem opened', s.finishedAt ? text(s.finishedAt) : ''),
    '',
  );

  out('## Exposure', '');
  for (const r of s.reports) {
    const e = r.exposure;
    const where = [
      e.repository && `repository ${code(e.repository)}`,
      e.commit && `commit ${code(e.commit)}`,
      e.path && `path ${code(e.path)}${e.line ? `:${e.line}` : ''}`,
      e.url && code(e.url),
    ]
      .filter(Boolean)
      .join(', ');
    out(`- ${e.detectedAt ? `${text(e.detectedAt)} ` : ''}${text(e.source)}, ${e.public ? '**public**' : 'private'}${where ? `: ${where}` : ''} (reported by ${text(r.requestedBy)})${e.notes ? ` — ${text(e.notes)}` : ''}`);
  }
  out('');

  out('## Timeline', '', '| Time (UTC) | Since start | Phase | Event | By |', '|---|---|---|---|---|');
  for (const t of s.timeline) out(row(text(t.at), rel(t.at), text(t.phase), text(t.event), t.by ? text(t.by) : ''));
  out('', '```mermaid', 'timeline', `    title ${mermaidText(`${s.incidentId} (${cred})`)}`);
  for (const t of s.timeline) out(`    ${rel(t.at)} : ${mermaidText(`${t.phase} - ${t.event}`)}`);
  out('```', '');

  out('## Blast radius', '');
  const b = s.blastRadius;
  if (!b) {
    out('Not mapped (the step did not run or was skipped).', '');
  } else {
    const lastUsed = s.identification?.lastUsed;
    out(`- Owner: ${text(b.owner)}; key status at triage: ${text(s.identification?.status ?? 'unknown')}`);
    out(`- Last used: ${lastUsed ? (isUnknown(lastUsed) ? `unknown (${text(lastUsed.reason)})` : lastUsed.at ? text(`${lastUsed.at} ${lastUsed.service ?? ''} ${lastUsed.region ?? ''}`.trim()) : 'never') : 'unknown'}`);
    // The provider's own facts, rendered by its module (already escaped for Markdown there).
    out(...blastRadius);
    out(`- Consumers (from the inventory${s.discovered?.added ? ', and the places discovery found' : ''}): ${s.consumers.length ? s.consumers.map((c) => `${text(c.name)} (${text(c.storeSpec.kind)} ${code(c.key)}${c.deployerSpec && c.deploy ? `, redeployed by ${text(c.deploy)}` : ''})`).join('; ') : 'none known'}`);
    out('');
  }

  const d = s.discovered;
  if (d) {
    out('## Found during the incident', '');
    if (!d.places.length) out(`Discovery searched the inventory's sources in ${d.ms} ms and found no copy the inventory does not list.`, '');
    // The consumers the incident added for each place: one per runner (what runs from it), or the place alone.
    const added = new Set(d.added?.names ?? []);
    const consumersOf = (p: (typeof d.places)[number]) => s.consumers.filter((c) => added.has(c.name) && c.store === p.store && c.key === p.key);
    for (const p of d.places) {
      out(`- ${text(p.store)} ${code(p.key)}: ${p.matchedBy === 'name' ? 'unverified: only its name looks like this kind of credential (the store never shows values); check it and replace it by hand if it holds the leaked one' : `matched by ${p.matchedBy === 'id' ? 'its public id' : 'the fingerprint of its value'}${p.field ? '' : '; the credential sits inside other text there: edit it by hand'}`}`);
      for (const c of consumersOf(p)) out(`  - ${placeOutcome(s, c)}`);
    }
    if (d.places.length) {
      out('', d.added ? `Added to this incident's consumers by ${text(d.added.by)}: the new credential was written there, and what runs from them was redeployed where a deployer was found (per place above).` : d.mode === 'report' ? 'Reported only (discovery.discovered: report): update them by hand.' : 'Left out of the incident: update them by hand.', '');
      // Only keys and names made of the characters stores use are offered as YAML to paste.
      const pastable = d.places.filter((p) => p.field && /^[A-Za-z0-9/_+=.@#-]{1,500}$/.test(p.key) && /^[A-Za-z0-9_.-]{1,100}$/.test(p.store));
      if (pastable.length) {
        const deployers = new Map<string, string>();
        const consumers: string[] = [];
        for (const p of pastable) {
          const base = `${p.store}-${p.key}`.replace(/[^A-Za-z0-9_.]+/g, '-').slice(0, 80);
          const entry = `store: ${p.store}, key: "${p.key}", field: ${p.field}${p.field === 'json' ? ', merge: true' : ''}`;
          const deploys = consumersOf(p).flatMap((c) => {
            const yaml = c.deploy && c.deployerSpec ? deployerYaml(c.deploy, c.deployerSpec) : undefined;
            return yaml ? [(deployers.set(c.deploy!, yaml), c.deploy!)] : [];
          });
          if (deploys.length === 0) consumers.push(`  - { name: ${base}, ${entry} }`);
          deploys.forEach((deploy, i) => consumers.push(`  - { name: ${i ? `${base}-${i + 1}` : base}, ${entry}, deploy: ${deploy} }`));
        }
        out("Inventory entries to add (the consumers under this credential's entry):", '', '```yaml');
        if (deployers.size) out('deployers:', ...deployers.values());
        out('consumers:', ...consumers, '```', '');
      }
    }
    for (const problem of d.problems) out(`- Discovery: ${text(problem)}`);
    if (d.problems.length) out('');
  }

  out('## Actions', '', '| Time (UTC) | Phase | Step | Outcome | Detail |', '|---|---|---|---|---|');
  for (const a of s.actions) out(row(text(a.at), text(a.phase), text(a.step), text(a.outcome), text(a.detail)));
  out('');

  out('## Verification', '');
  const v = s.verification;
  out(v ? `- New credential works: ${v.newWorks ? 'yes' : 'no'}${v.newIdentity ? ` (${text(v.newIdentity)})` : ''}` : '- New credential: not verified');
  out(v ? `- Leaked credential disabled before revoke: ${v.oldDisabled ? 'yes' : 'no'}` : '');
  out(`- Leaked credential revoked: ${s.revocation ? text(s.revocation.summary) : 'no'}`);
  for (const w of s.storeWrites) out(`- ${text(w.consumer)}: ${text(w.store)} ${code(w.key)} now at version ${text(w.version)}`);
  for (const d of s.deploys) out(`- ${text(d.consumer)}: deploy ${text(d.id)} ${text(d.status)}`);
  out('');

  out('## Root-cause questions', '');
  out(
    `- How did the credential reach ${exposure.repository ? code(exposure.repository) : exposure.url ? code(exposure.url) : 'where it was found'}? A commit, a log line, a pasted snippet, client-side code, a build artifact?`,
    '- Was it sent or stored over an unsecured transport or in plain text (CI logs, chat, tickets)?',
    '- Why was a long-lived key used here at all, and who else could read the place it leaked to?',
    '- Did anyone use it between the leak and containment? Check the activity above, and by hand where it says unknown.',
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

/** What became of one discovered consumer: written, and redeployed by its deployer (or why not). */
function placeOutcome(s: IncidentState, c: IncidentState['consumers'][number]): string {
  const name = code(c.name);
  if (!s.storeWrites.some((w) => w.consumer === c.name)) return `${name}: not written (see Actions)`;
  if (!c.deployerSpec) return `${name}: written; nothing Leakstop can restart was found running from it: restart what reads it by hand`;
  const by = `${code(c.deploy ?? c.deployerSpec.kind)} (${text(c.deployerSpec.kind)})`;
  const deployed = s.deploys.find((r) => r.consumer === c.name);
  return deployed ? `${name}: written, redeployed by ${by}: deploy ${code(deployed.id)} ${text(deployed.status)}` : `${name}: written, not redeployed by ${by} (see Actions)`;
}

/**
 * A deployer spec as one line of YAML to paste under `deployers:`, or undefined when a name or value is not
 * made of the characters deployer options use (it is then left out rather than escaped into the block).
 */
function deployerYaml(name: string, spec: Record<string, unknown>): string | undefined {
  if (!/^[A-Za-z0-9_.-]{1,120}$/.test(name)) return undefined;
  const fields: string[] = [];
  for (const [k, v] of Object.entries(spec)) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(k)) return undefined;
    if (typeof v === 'number' || typeof v === 'boolean') fields.push(`${k}: ${v}`);
    else if (typeof v === 'string' && /^[A-Za-z0-9_.:/@+=-]{1,300}$/.test(v)) fields.push(`${k}: ${k === 'kind' ? v : JSON.stringify(v)}`);
    else return undefined;
  }
  return `  ${name}: { ${fields.join(', ')} }`;
}

function known<T>(value: Known<T>, show: (v: T) => string): string {
  return isUnknown(value) ? `unknown (${text(value.reason)})` : show(value);
}

const text = markdownText;
const code = markdownCode;
const list = (xs: string[]) => (xs.length ? xs.map(text).join(', ') : 'none');
/** A table row of inline Markdown cells (values already escaped). */
const row = (...cells: string[]) => `| ${cells.map(markdownTableCell).join(' | ')} |`;
