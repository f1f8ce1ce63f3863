import type { App } from '@slack/bolt';
import { redactId } from '../../domain/credential';
import { incidentIdFor } from '../../domain/fingerprint';
import { severityOf, type IncidentState } from '../../domain/incident';
import { catalog } from '../../providers';
import type { Phase } from '../../domain/incident-input';
import { recordRefusal, refusal, type SlackDeps } from './deps';
import { RotationRefused } from '../control';
import { slackText } from '../../domain/escape';
import { reportView } from './report-modal';
import { errorText } from './reply';
import { findSecret, pastedSecretMessage } from './secrets';

// The slash command: `report` opens the modal, `status [incident]`, `list`, `tighten`, `rotation`, `help`.
// Every answer is ephemeral: incident details go to whoever asked, not to the channel.

/** An id some credential kind accepts as it is (an AWS key id): the form may show it prefilled. */
const isCredentialId = (arg: string) => catalog.kinds.some((k) => !catalog.credential(k).checkId(arg));
const INCIDENT_ID = /^leak-[a-z0-9-]+-[0-9a-f]{16}$/;
/** A scheduled rotation's run (worker/schedules.ts): the schedule's id and the time the run started. */
const ROTATION_RUN_ID = /^rotation-[A-Za-z0-9._:-]{1,200}$/;

export function registerCommands(app: App, deps: SlackDeps): void {
  app.command(deps.command, async ({ command, ack, respond, client }) => {
    // Slack gives three seconds; Temporal and group lookups may take longer.
    await ack();
    const say = (text: string) => respond({ response_type: 'ephemeral', text });
    const [verb = 'help', arg, ...more] = command.text.trim().split(/\s+/).filter(Boolean);
    // A rotation run's id (its entry's name and a timestamp) can look random enough for the high-entropy
    // rule; it is let through when that rule alone fires, and on the id alone.
    const found = findSecret(command.text);
    const runId = found === 'high-entropy' && !!arg && ROTATION_RUN_ID.test(arg) && !findSecret(command.text.replace(arg, ' '));
    const secret = runId ? undefined : found;
    try {
      switch (verb.toLowerCase()) {
        case 'report': {
          if (!(await deps.access.allows('report', command.user_id))) {
            await recordRefusal(deps, undefined, command.user_id, 'report an incident');
            return void (await say(refusal('report incidents')));
          }
          const prefill = !secret && arg && isCredentialId(arg) ? arg : undefined;
          // The trigger_id expires three seconds after the command: open the form before anything else.
          await client.views.open({ trigger_id: command.trigger_id, view: reportView({ responseUrl: command.response_url, channel: command.channel_id }, prefill) });
          if (secret) await say(pastedSecretMessage(secret));
          return;
        }
        case 'status':
        case 'list': {
          if (!(await deps.access.allows('report', command.user_id))) {
            await recordRefusal(deps, undefined, command.user_id, `read incident ${verb}`);
            return void (await say(refusal('read incidents')));
          }
          if (secret) return void (await say(pastedSecretMessage(secret)));
          return void (await (verb.toLowerCase() === 'list' || !arg ? list(deps, say) : status(deps, arg, say)));
        }
        case 'tighten': {
          // Only approvers may change what an incident waits for; the workflow records who did it.
          if (!(await deps.access.allows('approve', command.user_id))) {
            await recordRefusal(deps, arg && INCIDENT_ID.test(arg) ? arg : undefined, command.user_id, 'tighten an incident');
            return void (await say(refusal('tighten incidents')));
          }
          if (!arg || !INCIDENT_ID.test(arg) || more.length === 0) return void (await say(`usage: \`${deps.command} tighten <incident id> <phase>…\`, e.g. \`revoke\``));
          const answer = await deps.control.tighten(arg, { approvals: more.map((p) => p.toLowerCase()) as Phase[], by: `slack:${command.user_id}` });
          return void (await say(`\`${arg}\`: ${answer}`));
        }
        case 'rotation': {
          // Scheduled rotations: anyone who may read incidents sees them; only approvers run, hold or release one.
          const action = arg?.toLowerCase();
          const who = action === 'list' || !action ? 'report' : 'approve';
          if (!(await deps.access.allows(who, command.user_id))) {
            await recordRefusal(deps, undefined, command.user_id, `${action ?? 'list'} scheduled rotations`);
            return void (await say(refusal(who === 'report' ? 'read scheduled rotations' : 'run or hold scheduled rotations')));
          }
          if (!action || action === 'list') return void (await say(await rotations(deps)));
          if (!['trigger', 'pause', 'unpause'].includes(action) || !more[0]) return void (await say(`usage: \`${deps.command} rotation list|trigger|pause|unpause <name> [reason]\``));
          try {
            return void (await say(slackText(await deps.control.rotation(more[0], action as 'trigger' | 'pause' | 'unpause', `slack:${command.user_id}`, more.slice(1).join(' ') || undefined))));
          } catch (err) {
            if (err instanceof RotationRefused) return void (await say(slackText(err.message)));
            throw err;
          }
        }
        default:
          if (secret) await say(pastedSecretMessage(secret));
          return void (await say(help(deps.command)));
      }
    } catch (err) {
      deps.logger.error(`${deps.command} ${verb} failed: ${(err as Error).message}`);
      await say(errorText(err, `\`${deps.command} ${verb}\``)).catch(() => undefined);
    }
  });
}

function help(command: string): string {
  return [
    '*Leakstop*: incident response for leaked credentials.',
    `• \`${command} report [access key id]\`: report a leak (opens a form; never paste the secret itself)`,
    `• \`${command} status [incident id | access key id | rotation run id]\`: where an incident or a scheduled rotation stands`,
    `• \`${command} list\`: open incidents`,
    `• \`${command} tighten <incident id> <phase>…\`: approvers only; those phases then wait for an approver`,
    `• \`${command} rotation list\`: scheduled rotations; approvers: \`rotation trigger|pause|unpause <name> [reason]\``,
    `• \`${command} help\`: this text`,
    'Approve, decide and abort with the buttons in the incident thread.',
  ].join('\n');
}

async function rotations(deps: SlackDeps): Promise<string> {
  const all = await deps.control.listRotations();
  if (!all.length) return 'No scheduled rotations.';
  return `*Scheduled rotations*\n${all.map((r) => `• \`${r.name}\`: ${r.paused ? `paused${r.note ? ` (${slackText(r.note)})` : ''}` : `next ${r.next?.toISOString() ?? 'none'}`}`).join('\n')}`;
}

async function list(deps: SlackDeps, say: (text: string) => Promise<unknown>): Promise<void> {
  const open = await deps.control.listOpen(20);
  if (open.length === 0) return void (await say('No open incidents.'));
  const lines = open.map((o) => `• \`${o.incidentId}\` (started ${o.startTime.toISOString()})`);
  await say(`*Open incidents* (${open.length}${open.length === 20 ? ', newest first; more exist' : ''})\n${lines.join('\n')}`);
}

async function status(deps: SlackDeps, arg: string, say: (text: string) => Promise<unknown>): Promise<void> {
  // The argument is only echoed once recognised: free text could be anything.
  const asIs = INCIDENT_ID.test(arg) || ROTATION_RUN_ID.test(arg);
  const kind = asIs ? undefined : catalog.kinds.find((k) => !catalog.credential(k).checkId(arg));
  const incidentId = asIs ? arg : kind ? incidentIdFor(kind, arg) : undefined;
  if (!incidentId) return void (await say('Give an incident id (leak-aws-…), an access key id (AKIA…) or a rotation run id (rotation-…).'));
  try {
    await say(summary(await deps.control.status(incidentId)));
  } catch (err) {
    await say(errorText(err, `status of \`${incidentId}\``));
  }
}

export function summary(s: IncidentState): string {
  const head = `*\`${s.incidentId}\`*: ${s.rotation ? `scheduled rotation of \`${slackText(s.rotation.key)}\`, ` : ''}${s.status}, phase ${s.phase}`;
  const facts = [
    `credential \`${redactId(s.input.credentialId)}\` (${s.input.provider})`,
    `owner ${s.identification?.owner ?? 'not yet known'}`,
    `severity ${severityOf(s.input)}`,
    `started ${s.startedAt}${s.finishedAt ? `, finished ${s.finishedAt}` : ''}`,
  ];
  const waiting = s.waiting.map((w) => `• waiting for ${w.kind}: ${w.step} (${w.options.join(' / ')})`);
  const postMortem = s.postMortem ? [`post-mortem: ${s.postMortem.url}`] : [];
  return [head, facts.join('; '), ...waiting, ...postMortem].join('\n');
}
