import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { View } from '@slack/web-api';
import type { Phase } from '../../domain/schemas';
import { actionPattern, decodeButton, type ActionName, type ButtonValue } from '../../providers/slack/actions';
import { escape } from '../../providers/slack/message';
import type { IncidentControl } from '../control';
import { personOf, recordRefusal, refusal, type SlackDeps } from './deps';
import { decodeContext, encodeContext, errorText, replyVia } from './reply';
import { needsReplacement, openReplacement, registerReplacementView } from './replacement';
import { findSecret, pastedSecretMessage } from './secrets';

// The buttons on an incident's thread, and the small modal that asks why an incident is aborted.
// Only approvers may press them; anyone else is told so, and the attempt is recorded.

export const ABORT_VIEW = 'leakstop_abort';
const REASON = 'reason';

interface Verb {
  /** What the person tried, in words, for replies and the refusal record. */
  what(v: ButtonValue): string;
  /** The thread note once it worked: "<@U…> approved revoke". */
  did(v: ButtonValue): string;
  run(control: IncidentControl, v: ButtonValue, by: string): Promise<string>;
}

const VERBS: Partial<Record<ActionName, Verb>> = {
  approve: {
    what: (v) => `approve ${v.phase ?? 'a phase'}`,
    did: (v) => `approved ${v.phase}`,
    run: (c, v, by) => c.approve(v.incidentId, { phase: asPhase(v.phase), by }),
  },
  decide: {
    what: (v) => `${v.decision ?? 'decide'} ${v.step ?? 'a step'}`,
    did: (v) => `chose ${v.decision} for ${v.step}`,
    // A decision is never assumed: a button without one is refused rather than read as "retry".
    run: (c, v, by) => (v.decision ? c.decide(v.incidentId, { decision: v.decision, ...(v.step ? { step: v.step } : {}), by }) : Promise.reject(new Error('the button carries no decision'))),
  },
  done: {
    what: (v) => `mark ${v.step ?? 'a manual step'} done`,
    did: (v) => `marked ${v.step} done`,
    run: (c, v, by) => c.done(v.incidentId, { ...(v.step ? { step: v.step } : {}), by }),
  },
};

/** Not checked here on purpose: the workflow's validator refuses a phase that is not waiting, and says so. */
const asPhase = (p: string | undefined) => (p ?? '') as Phase;

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function registerIncidentActions(app: App, deps: SlackDeps): void {
  for (const [name, verb] of Object.entries(VERBS) as [ActionName, Verb][]) {
    app.action<BlockAction<ButtonAction>>(actionPattern(name), async (args) => {
      await args.ack();
      const v = name === 'done' ? decodeButton(args.action.value) : undefined;
      if (v && needsReplacement(v)) return openReplacement(deps, args);
      await runVerb(deps, verb, args);
    });
  }
  registerReplacementView(app, deps);
  app.action<BlockAction<ButtonAction>>(actionPattern('abort'), async (args) => {
    await args.ack();
    await openAbort(deps, args);
  });
  registerAbortView(app, deps);
}

async function runVerb(deps: SlackDeps, verb: Verb, { body, action, respond, client }: ButtonArgs): Promise<void> {
  const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err) => deps.logger.warn(`reply failed: ${err}`));
  const v = decodeButton(action.value);
  if (!v) return void (await say('This button is not one Leakstop understands; use the buttons on a current incident message.'));
  const user = body.user.id;
  try {
    if (!(await deps.access.allows('approve', user))) {
      await recordRefusal(deps, v.incidentId, user, verb.what(v));
      return void (await say(refusal(verb.what(v))));
    }
    const result = await verb.run(deps.control, v, personOf(user));
    await say(`:white_check_mark: ${result}`);
    if (body.channel && body.message) {
      await client.chat
        .postMessage({ channel: body.channel.id, thread_ts: body.message.thread_ts ?? body.message.ts, text: `<@${user}> ${verb.did(v)}` })
        .catch((err) => deps.logger.warn(`thread note for ${v.incidentId} failed: ${err}`));
    }
  } catch (err) {
    await say(errorText(err, verb.what(v)));
  }
}

async function openAbort(deps: SlackDeps, { body, action, respond, client }: ButtonArgs): Promise<void> {
  const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch((err) => deps.logger.warn(`reply failed: ${err}`));
  const v = decodeButton(action.value);
  if (!v) return void (await say('This button is not one Leakstop understands.'));
  try {
    if (!(await deps.access.allows('approve', body.user.id))) {
      await recordRefusal(deps, v.incidentId, body.user.id, 'abort the incident');
      return void (await say(refusal('abort incidents')));
    }
    const context = {
      incidentId: v.incidentId,
      responseUrl: body.response_url,
      ...(body.channel ? { channel: body.channel.id } : {}),
      ...(body.message ? { threadTs: body.message.thread_ts ?? body.message.ts } : {}),
    };
    await client.views.open({ trigger_id: body.trigger_id, view: abortView(v.incidentId, encodeContext(context)) });
  } catch (err) {
    await say(errorText(err, 'abort'));
  }
}

function abortView(incidentId: string, privateMetadata: string): View {
  return {
    type: 'modal',
    callback_id: ABORT_VIEW,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: 'Abort incident' },
    submit: { type: 'plain_text', text: 'Abort' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `The runbook of \`${incidentId}\` stops where it is; the post-mortem is still written.` } },
      {
        type: 'input',
        block_id: REASON,
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: REASON, multiline: true, max_length: 500 },
      },
    ],
  };
}

function registerAbortView(app: App, deps: SlackDeps): void {
  app.view(ABORT_VIEW, async ({ ack, body, view, client }) => {
    const ctx = decodeContext(view.private_metadata);
    const reason = view.state.values[REASON]?.[REASON]?.value?.trim() ?? '';
    const user = body.user.id;
    const errors = (message: string) => ack({ response_action: 'errors', errors: { [REASON]: message } });
    if (!ctx.incidentId) return void (await errors('This form lost its incident; use the Abort button again.'));
    let allowed: boolean;
    try {
      allowed = await deps.access.allows('approve', user);
    } catch (err) {
      deps.logger.warn(`access check failed: ${err}`);
      return void (await errors('Could not check your permission with Slack; try again.'));
    }
    if (!allowed) {
      await recordRefusal(deps, ctx.incidentId, user, 'abort the incident');
      return void (await errors(refusal('abort incidents')));
    }
    const secret = findSecret(reason);
    if (secret) return void (await errors(pastedSecretMessage(secret)));
    if (!reason) return void (await errors('Say why the incident is aborted.'));
    await ack();
    let text: string;
    try {
      text = `:white_check_mark: ${await deps.control.abort(ctx.incidentId, { by: personOf(user), reason })}`;
      if (ctx.channel && ctx.threadTs) {
        await client.chat
          .postMessage({ channel: ctx.channel, thread_ts: ctx.threadTs, text: `<@${user}> asked to abort: ${escape(reason)}` })
          .catch((err) => deps.logger.warn(`thread note for ${ctx.incidentId} failed: ${err}`));
      }
    } catch (err) {
      text = errorText(err, 'abort');
    }
    await replyVia(ctx.responseUrl, text).catch((err) => deps.logger.warn(`reply failed: ${err}`));
  });
}

