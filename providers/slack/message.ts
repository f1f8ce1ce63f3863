import type { ActionsBlock, Button, KnownBlock, MrkdwnElement } from '@slack/web-api';
import { slackText } from '../../domain/escape';
import { redact } from '../../domain/redact';
import type { Waiting } from '../../domain/incident';
import type { IncidentEvent, IncidentSnapshot } from '../types';
import { actionId, encodeButton } from './actions';

// What people see in the incident's Slack thread. Pure: the notifier decides when to post.
// Every string passes the redaction mechanism as well: the workflow already redacts, this is a second net in
// case a provider's error message echoes a key id.
// Values (event messages, owner, steps, reasons) carry text from outside: they go through `escape`,
// and block text is verbatim, so Slack does not turn what they contain into links or mentions.

const STATUS: Record<IncidentSnapshot['status'], string> = {
  running: ':arrows_counterclockwise: running',
  waiting: ':double_vertical_bar: waiting for a person',
  completed: ':white_check_mark: completed',
  aborted: ':no_entry: aborted',
};

const MARK: Record<IncidentEvent['kind'], string> = {
  started: ':arrow_forward:',
  progress: ':small_blue_diamond:',
  done: ':heavy_check_mark:',
  failed: ':x:',
  waiting: ':raising_hand:',
  finished: ':checkered_flag:',
};

/** Text from the workflow, redacted and shown literally in mrkdwn (domain/escape.ts). */
export function escape(text: string): string {
  return slackText(redact(text));
}

/**
 * A mrkdwn text object that Slack shows without its automatic parsing (bare URLs, channel names and
 * @here would otherwise become links and mentions); Leakstop's own formatting still applies.
 */
const mrkdwn = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text, verbatim: true });

/** Where the post-mortem is: a link when the sink returned a web address (it is Leakstop's, not a sender's), else text. */
function postMortemRef(url: string): string {
  return /^https?:\/\/[^\s|<>]+$/.test(url) ? `<${url.replace(/&/g, '&amp;')}>` : escape(url);
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Renders a user or user-group id as a mention that notifies them. */
export function mention(id: string): string {
  return id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`;
}

export const isOpen = (s: IncidentSnapshot) => s.status === 'running' || s.status === 'waiting';

export function parentText(incidentId: string, s: IncidentSnapshot): string {
  return `Leaked credential ${escape(s.credential)} (${escape(s.provider)}): ${escape(s.status)}, phase ${escape(s.phase)} [${escape(incidentId)}]`;
}

export function parentBlocks(incidentId: string, s: IncidentSnapshot): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'section', text: mrkdwn(`:rotating_light: *Leaked credential \`${escape(s.credential)}\`* (${escape(s.provider)})`) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Status*\n${STATUS[s.status]}`),
        mrkdwn(`*Phase*\n${escape(s.phase)}`),
        mrkdwn(`*Owner*\n${s.owner ? escape(s.owner) : '_not yet known_'}`),
        mrkdwn(`*Severity*\n${escape(s.severity)}`),
      ],
    },
  ];
  if (s.waiting.length > 0) {
    const lines = s.waiting.map((w) => `• *${w.kind}* for _${escape(w.step)}_ (${escape(w.phase)}): ${escape(clip(w.reason, 400))}`);
    blocks.push({ type: 'section', text: mrkdwn(clip(`*Waiting for a person*\n${lines.join('\n')}`, 3000)) });
  }
  if (s.postMortemUrl) blocks.push({ type: 'section', text: mrkdwn(`*Post-mortem*: ${postMortemRef(s.postMortemUrl)}`) });
  blocks.push({ type: 'context', elements: [mrkdwn(`incident \`${escape(incidentId)}\``)] });
  const buttons = isOpen(s) ? buttonsFor(incidentId, s) : [];
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'leakstop_actions', elements: buttons } satisfies ActionsBlock);
  return blocks;
}

function buttonsFor(incidentId: string, s: IncidentSnapshot): Button[] {
  const out: Button[] = [];
  const n = () => out.length;
  for (const w of s.waiting) out.push(...waitingButtons(incidentId, s, w, n));
  out.push({
    type: 'button',
    action_id: actionId('abort', n()),
    text: { type: 'plain_text', text: 'Abort incident' },
    style: 'danger',
    value: encodeButton({ incidentId }),
  });
  // An actions block holds at most 25 elements; the Abort button is the one that must stay.
  return out.length > 25 ? [...out.slice(0, 24), out[out.length - 1]!] : out;
}

function waitingButtons(incidentId: string, s: IncidentSnapshot, w: Waiting, n: () => number): Button[] {
  const label = (text: string) => ({ type: 'plain_text' as const, text: clip(text, 75) });
  const confirm = (title: string, text: string) => ({
    title: { type: 'plain_text' as const, text: clip(title, 100) },
    text: { type: 'plain_text' as const, text: redact(clip(text, 300)) },
    confirm: { type: 'plain_text' as const, text: 'Yes' },
    deny: { type: 'plain_text' as const, text: 'Cancel' },
  });
  const out: Button[] = [];
  switch (w.kind) {
    case 'approval':
      out.push({
        type: 'button',
        action_id: actionId('approve', n()),
        text: label(`Approve ${w.phase}`),
        style: 'primary',
        value: encodeButton({ incidentId, phase: w.phase }),
        confirm: confirm(`Approve ${w.phase}?`, `${w.phase} of ${s.credential} runs as soon as you confirm.`),
      });
      break;
    case 'decision':
      for (const decision of (['retry', 'skip', 'abort'] as const).filter((d) => w.options.includes(d))) {
        out.push({
          type: 'button',
          action_id: actionId('decide', n() + out.length),
          text: label(`${decision[0]!.toUpperCase()}${decision.slice(1)} ${w.step}`),
          ...(decision === 'retry' ? { style: 'primary' as const } : decision === 'abort' ? { style: 'danger' as const } : {}),
          value: encodeButton({ incidentId, step: w.step, decision }),
          ...(decision === 'retry' ? {} : { confirm: confirm(`${decision} ${w.step}?`, `${decision} "${w.step}" of ${s.credential}.`) }),
        });
      }
      break;
    case 'manual':
      if (w.options.includes('done')) {
        out.push({
          type: 'button',
          action_id: actionId('done', n()),
          text: label(`Done: ${w.step}`),
          style: 'primary',
          value: encodeButton({ incidentId, phase: w.phase, step: w.step }),
        });
      }
      break;
  }
  return out;
}

/** A thread reply for one event; a waiting event mentions whoever must answer it. */
export function replyText(e: IncidentEvent, escalate?: string): string {
  const who = e.kind === 'waiting' && escalate ? `${mention(escalate)} ` : '';
  const link = e.kind === 'finished' && e.snapshot.postMortemUrl && !e.message.includes(e.snapshot.postMortemUrl) ? `\npost-mortem: ${postMortemRef(e.snapshot.postMortemUrl)}` : '';
  return clip(`${MARK[e.kind]} ${who}*${escape(e.phase)}*: ${escape(e.message)}${link}`, 3900);
}
