import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { View } from '@slack/web-api';
import { decodeButton, type ButtonValue } from '../../providers/slack/actions';
import { personOf, recordRefusal, refusal, type SlackDeps } from './deps';
import { decodeContext, encodeContext, errorText, replyVia } from './reply';

// "Done" on a manual regenerate step: the person who created the replacement credential hands it over
// in a modal. It goes straight to the vault (never to the workflow, a message or a log); the workflow
// gets its handle and verifies it before going on.

export const REPLACEMENT_VIEW = 'leakstop_replacement';
const SECRET = 'secret';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** True when this "done" needs the replacement credential (the regenerate phase). */
export const needsReplacement = (v: ButtonValue) => v.phase === 'regenerate';

export async function openReplacement(deps: SlackDeps, { body, action, respond, client }: ButtonArgs): Promise<void> {
  const say = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
  const v = decodeButton(action.value)!;
  try {
    if (!(await deps.access.allows('approve', body.user.id))) {
      await recordRefusal(deps, v.incidentId, body.user.id, `mark ${v.step ?? 'the manual step'} done`);
      return void (await say(refusal('complete manual steps')));
    }
    const context = { incidentId: v.incidentId, responseUrl: body.response_url, step: v.step };
    await client.views.open({ trigger_id: body.trigger_id, view: replacementView(v, encodeContext(context)) });
  } catch (err) {
    await say(errorText(err, 'open the replacement form'));
  }
}

function replacementView(v: ButtonValue, privateMetadata: string): View {
  return {
    type: 'modal',
    callback_id: REPLACEMENT_VIEW,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: 'Replacement credential' },
    submit: { type: 'plain_text', text: 'Verify and go on' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `Paste the credential you created for \`${v.incidentId}\`. It goes to Leakstop's vault only: it is not posted, logged or kept in the incident.` },
      },
      { type: 'input', block_id: SECRET, label: { type: 'plain_text', text: 'New credential' }, element: { type: 'plain_text_input', action_id: SECRET } },
    ],
  };
}

export function registerReplacementView(app: App, deps: SlackDeps): void {
  app.view(REPLACEMENT_VIEW, async ({ ack, body, view }) => {
    const ctx = decodeContext(view.private_metadata);
    const secret = view.state.values[SECRET]?.[SECRET]?.value?.trim() ?? '';
    const errors = (message: string) => ack({ response_action: 'errors', errors: { [SECRET]: message } });
    if (!ctx.incidentId) return void (await errors('This form lost its incident; use the Done button again.'));
    if (!deps.keepSecret) return void (await errors('This Leakstop has no vault for replacement credentials; use the CLI: leakstop incident done --credential-file'));
    if (!(await deps.access.allows('approve', body.user.id).catch(() => false))) {
      await recordRefusal(deps, ctx.incidentId, body.user.id, 'hand over a replacement credential');
      return void (await errors(refusal('complete manual steps')));
    }
    if (secret.length < 20) return void (await errors('That is too short to be a credential.'));
    await ack();
    let text: string;
    try {
      const { provider } = (await deps.control.status(ctx.incidentId)).input;
      const credential = await deps.keepSecret(provider, secret);
      text = `:white_check_mark: ${await deps.control.done(ctx.incidentId, { by: personOf(body.user.id), credential, ...(ctx.step ? { step: ctx.step } : {}) })}`;
    } catch (err) {
      text = errorText(err, 'hand over the replacement');
    }
    await replyVia(ctx.responseUrl, text).catch((err) => deps.logger.warn(`reply failed: ${err}`));
  });
}
