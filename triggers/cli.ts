import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { redactId } from '../domain/credential';
import type { Decision, IncidentState } from '../domain/incident';
import type { Phase } from '../domain/schemas';
import { ConfigError } from '../domain/inventory';
import { ValidationError } from '../domain/issues';
import { loadCodecKeys } from '../worker/codec';
import { loadConfig, loadInventory } from '../worker/config';
import { openVault } from '../worker/vault';
import { connectClient } from '../worker/temporal-client';
import { Sealer } from '../domain/seal';
import { IncidentControl, RotationRefused } from './control';
import { keepSecret } from './keep-secret';
import { secretId } from '../domain/fingerprint';
import { guidedKind } from '../providers/guided/kind';
import { catalog } from '../providers';
import { discover, draftInventory, NO_VAULT, ownersOf } from '../providers/discovery';
import { runAudit } from '../providers/audit';

const USAGE = `leakstop incident <command>

  start   --credential AKIA… [--provider aws-iam] [--by NAME] [--source cli] [--url URL]
          [--repository OWNER/REPO] [--commit SHA] [--path FILE] [--line N] [--public]
          [--severity low|medium|high|critical] [--wait]
          (policy comes from the inventory; a report from the CLI contains only once approved,
          unless the inventory's trust.actAtOnce lists cli)
  status  <incident-id> [--json]
  list
  approve <incident-id> --phase PHASE --by NAME
  tighten <incident-id> --approve PHASE… --by NAME                 (these phases wait for an approver)
  retry   <incident-id> [--step STEP] --by NAME [--note TEXT]     (a failed step: try again)
  skip    <incident-id> [--step STEP] --by NAME [--note TEXT]     (a failed step: go on without it)
  decide  <incident-id> retry|skip|abort [--step STEP] --by NAME [--note TEXT]
  done    <incident-id> [--credential-file FILE] --by NAME         (a manual step is done; FILE holds the
          replacement secret, which goes to the vault in LEAKSTOP_DATA_DIR, never into the workflow)
  abort   <incident-id> --by NAME --reason TEXT
  identify <pending-id> --credential AKIA… [--provider aws-iam] --by NAME
          (a leak a scanner reported without naming the credential, e.g. GitGuardian)

leakstop inventory discover [--out FILE]
          searches the inventory's stores (its discovery section says which, under which prefixes)
          for credentials, and writes the inventory with what it found added (FILE, mode 0600, or
          standard output); values are compared in the process, never printed

leakstop audit [--out FILE]
          key hygiene: every credential the providers can list (AWS: every IAM user's keys), held
          against the inventory's hygiene rules (maxAge, unusedFor, expiryWarning): a Markdown
          report with a chart of key ages (FILE, or standard output) and a one-line summary

leakstop audit approve <run-id> --by NAME [--key ID]…
          a scheduled audit run (hygiene.actions.deactivateUnused: ask) waits for this: the unused keys
          it proposed (all, or each --key) are deactivated; the run's report says which and by whom

leakstop rotation list | trigger NAME | pause NAME [--reason TEXT] | unpause NAME [--reason TEXT]
          scheduled rotations (the inventory's rotateEvery): the schedules and their next run; run one
          now; hold or release one (a change freeze). A running rotation is driven like an incident:
          leakstop incident status|approve|done|abort <rotation run id>

leakstop fingerprint FILE
          the fingerprint (sha256:<16 hex>) of the secret in FILE, for the inventory's
          providers.guided.credentials.NAME.secrets; the secret is never printed

Connects to TEMPORAL_ADDRESS, or to the embedded server of \`npm start\` (localhost:7233).`;

const OPTIONS = {
  credential: { type: 'string' },
  provider: { type: 'string', default: 'aws-iam' },
  by: { type: 'string' },
  source: { type: 'string', default: 'cli' },
  url: { type: 'string' },
  repository: { type: 'string' },
  commit: { type: 'string' },
  path: { type: 'string' },
  line: { type: 'string' },
  public: { type: 'boolean' },
  severity: { type: 'string' },
  approve: { type: 'string', multiple: true },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  phase: { type: 'string' },
  step: { type: 'string' },
  note: { type: 'string' },
  reason: { type: 'string' },
  'credential-file': { type: 'string' },
  out: { type: 'string' },
  key: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function cli(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [group, command, id, decision] = positionals;
  if (group === 'fingerprint' && command && !o.help) return fingerprintOf(command, out);
  if (group === 'inventory' && command === 'discover' && !o.help) return discoverInventory(o.out, out);
  if (group === 'audit' && command === 'approve' && !o.help) return approveAudit(id, o.by, o.key, out);
  if (group === 'audit' && !o.help) return auditKeys(o.out, out);
  if (group === 'rotation' && command && !o.help) return rotation(command, id, o.reason, out);
  if (o.help || group !== 'incident' || !command) {
    out(USAGE);
    return o.help ? 0 : 2;
  }
  const cfg = loadConfig();
  const keys = loadCodecKeys(cfg.dataDir);
  const { client, close } = await connectClient({
    address: cfg.temporalAddress ?? `localhost:${cfg.temporalPort}`,
    namespace: cfg.namespace,
    keys,
  });
  const by = o.by ?? process.env.USER ?? 'cli';
  const control = new IncidentControl(client, cfg.taskQueue, Sealer.from(keys));
  try {
    switch (command) {
      case 'start': {
        const started = await control.report({
          provider: o.provider,
          credentialId: o.credential ?? '',
          requestedBy: by,
          ...(o.severity ? { severity: o.severity } : {}),
          exposure: {
            source: o.source,
            public: !!o.public,
            ...(o.url ? { url: o.url } : {}),
            ...(o.repository ? { repository: o.repository } : {}),
            ...(o.commit ? { commit: o.commit } : {}),
            ...(o.path ? { path: o.path } : {}),
            ...(o.line ? { line: Number(o.line) } : {}),
          },
        });
        out(`${started.joined ? 'joined running incident' : 'started incident'} ${started.incidentId}`);
        // Say plainly which trust rule applied: the person who reported must know whether the key is contained.
        const rule = await trustRule(control, started.incidentId);
        out(rule ?? `the trust rule that applies is shown by: leakstop incident status ${started.incidentId}`);
        if (o.wait) out(render(await client.workflow.getHandle(started.incidentId).result()));
        return 0;
      }
      case 'status': {
        const state = await control.status(need(id, 'incident-id'));
        out(o.json ? JSON.stringify(state, null, 2) : render(state));
        return 0;
      }
      case 'list':
        for (const i of await control.listOpen()) out(`${i.incidentId}  started ${i.startTime.toISOString()}`);
        return 0;
      case 'approve':
        out(await control.approve(need(id, 'incident-id'), { phase: need(o.phase, '--phase') as Phase, by }));
        return 0;
      case 'tighten':
        out(await control.tighten(need(id, 'incident-id'), { approvals: (o.approve ?? []) as Phase[], by }));
        return 0;
      case 'decide':
      case 'retry':
      case 'skip': {
        const choice = command === 'decide' ? need(decision, 'retry|skip|abort') : command;
        out(await control.decide(need(id, 'incident-id'), { decision: choice as Decision, by, step: o.step, note: o.note }));
        return 0;
      }
      case 'done': {
        // A replacement created by hand: its secret goes to the vault here, the workflow gets the handle.
        const incidentId = need(id, 'incident-id');
        let credential: { id: string; handle: string } | undefined;
        if (o['credential-file']) {
          const secret = readFileSync(o['credential-file'], 'utf8').trim();
          const { provider } = (await control.status(incidentId)).input;
          const vault = openVault({ dataDir: cfg.dataDir, url: cfg.vaultUrl, keys });
          try {
            credential = await keepSecret(vault, 'new', provider, secret);
          } finally {
            await vault.close();
          }
        }
        out(await control.done(incidentId, { by, step: o.step, note: o.note, credential }));
        return 0;
      }
      case 'identify':
        out(await control.identify(need(id, 'pending-id'), { provider: o.provider!, credentialId: need(o.credential, '--credential'), by }));
        return 0;
      case 'abort':
        out(await control.abort(need(id, 'incident-id'), { by, reason: need(o.reason, '--reason') }));
        return 0;
      default:
        out(USAGE);
        return 2;
    }
  } catch (err) {
    if (err instanceof ValidationError || err instanceof ConfigError || err instanceof UsageError) {
      out(err.message);
      return 2;
    }
    if (err instanceof WorkflowUpdateFailedError) {
      out(`refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await close();
  }
}

class UsageError extends Error {}

/** The rule the incident's triage applied, once triage has run (a second or so); undefined if it takes longer. */
async function trustRule(control: IncidentControl, incidentId: string): Promise<string | undefined> {
  for (let i = 0; i < 50; i++) {
    const s = await control.status(incidentId).catch(() => undefined);
    if (s?.trust) return s.trust.rule;
    if (s && s.status !== 'running') return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`${what} is required\n\n${USAGE}`);
  return value;
}

export function render(s: IncidentState): string {
  const lines = [
    `${s.incidentId}: ${s.status}, phase ${s.phase}, credential ${redactId(s.input.credentialId)}${s.identification ? ` of ${s.identification.owner}` : ''}`,
    ...s.waiting.map((w) => `  waiting for ${w.kind} on ${w.step}: ${w.reason} (${w.options.join(' / ')})`),
    ...s.timeline.map((t) => `  ${t.at} ${t.phase.padEnd(19)} ${t.event}${t.by ? ` (${t.by})` : ''}`),
  ];
  if (s.postMortem) lines.push(`  post-mortem: ${s.postMortem.url}`);
  return lines.join('\n');
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`leakstop: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/** What the inventory lists for a guided credential: the fingerprint of the value, and the type its shape says. */
function fingerprintOf(file: string, out: (s: string) => void): number {
  const value = readFileSync(file, 'utf8').trim();
  const r = guidedKind.recognise({ scanner: 'pasted', raw: value });
  if (!('credentialId' in r)) {
    out(`leakstop: ${file}: ${'invalid' in r ? r.invalid : 'not a secret'}`);
    return 2;
  }
  const [type] = r.credentialId.split(':');
  out(`${secretId(value)} (${type})`);
  return 0;
}

/** `leakstop inventory discover`: the stores searched once, the inventory written back with what was found. */
async function discoverInventory(file: string | undefined, out: (s: string) => void): Promise<number> {
  const cfg = loadConfig();
  const inventory = await loadInventory(cfg.inventoryPath);
  const registry = catalog.registry({ vault: NO_VAULT, env: process.env, settings: { aws: cfg.aws, github: cfg.github }, inventory });
  const d = await discover({ inventory, registry, catalog });
  const owners = await ownersOf(d.found, registry);
  const draft = draftInventory(inventory, d.found, owners);
  if (file) writeFileSync(file, draft, { mode: 0o600 });
  else out(draft);
  const credentials = new Set(d.found.map((f) => `${f.provider}\0${f.credentialId}`)).size;
  const stores = new Set(d.found.map((f) => f.store)).size;
  const say = (line: string) => out(file ? line : `# ${line}`); // after YAML on standard output: as comments
  say(`leakstop: ${d.found.length} place(s) of ${credentials} credential(s) in ${stores} store(s); ${d.entries} entries compared in ${d.ms} ms${file ? `; draft in ${file}` : ''}`);
  for (const p of d.problems) say(`leakstop: ${p.store}: ${p.problem}`);
  return 0;
}

/** `leakstop audit`: what the providers list, against the inventory's hygiene rules, now. */
/** The deployment's rotation schedules: list, trigger now, pause, unpause (worker/schedules.ts makes them). */
async function rotation(command: string, name: string | undefined, reason: string | undefined, out: (s: string) => void): Promise<number> {
  if (!['list', 'trigger', 'pause', 'unpause'].includes(command)) {
    out(`rotation ${command}: not a command (list, trigger, pause, unpause)`);
    return 2;
  }
  if (command !== 'list' && !name) {
    out('NAME: required (leakstop rotation list shows the names)');
    return 2;
  }
  const cfg = loadConfig();
  const { client, close } = await connectClient({ address: cfg.temporalAddress ?? `localhost:${cfg.temporalPort}`, namespace: cfg.namespace, keys: loadCodecKeys(cfg.dataDir) });
  const control = new IncidentControl(client, cfg.taskQueue);
  try {
    if (command === 'list') {
      const rotations = await control.listRotations();
      if (!rotations.length) out('no scheduled rotations (the inventory gives none a rotateEvery, or no worker has started with it)');
      for (const r of rotations) out(`${r.name}  ${r.paused ? `paused${r.note ? `: ${r.note}` : ''}` : `next ${r.next?.toISOString() ?? 'none'}`}`);
      return 0;
    }
    out(await control.rotation(name!, command as 'trigger' | 'pause' | 'unpause', process.env.USER ?? 'cli', reason));
    return 0;
  } catch (err) {
    if (err instanceof RotationRefused) {
      out(err.message);
      return 2;
    }
    throw err;
  } finally {
    await close();
  }
}

/** `leakstop audit approve`: a named person lets a scheduled audit run deactivate the unused keys it proposed. */
async function approveAudit(runId: string | undefined, by: string | undefined, keys: string[] | undefined, out: (s: string) => void): Promise<number> {
  if (!runId || !by?.trim()) {
    out(`${!runId ? 'run-id' : '--by'}: required (leakstop audit approve <run-id> --by NAME [--key ID]…)`);
    return 2;
  }
  const cfg = loadConfig();
  const { client, close } = await connectClient({ address: cfg.temporalAddress ?? `localhost:${cfg.temporalPort}`, namespace: cfg.namespace, keys: loadCodecKeys(cfg.dataDir) });
  try {
    out(await new IncidentControl(client, cfg.taskQueue).approveHygiene(runId, { by, ...(keys?.length ? { keys } : {}) }));
    return 0;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      out(`refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      return 2;
    }
    if (err instanceof WorkflowNotFoundError) {
      out(`run-id: ${runId} is not a running audit run (finished, or no such run; the schedule’s recent runs are in the Temporal UI)`);
      return 2;
    }
    throw err;
  } finally {
    await close();
  }
}

async function auditKeys(file: string | undefined, out: (s: string) => void, now = new Date()): Promise<number> {
  const cfg = loadConfig();
  const inventory = await loadInventory(cfg.inventoryPath);
  const registry = catalog.registry({ vault: NO_VAULT, env: process.env, settings: { aws: cfg.aws, github: cfg.github }, inventory });
  const r = await runAudit({ inventory, registry, catalog, now });
  if (file) writeFileSync(file, r.markdown, { mode: 0o600 });
  else out(r.markdown);
  out(r.summary);
  return r.problems.length ? 1 : 0;
}

