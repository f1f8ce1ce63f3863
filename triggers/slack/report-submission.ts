import type { App } from '@slack/bolt';
import { personOf, recordRefusal, refusal, type SlackDeps } from './deps';
import { readReport, REPORT_VIEW, BLOCK } from './report-modal';
import { decodeContext, errorText, replyVia } from './reply';

// A submitted report: validated while Slack waits (errors go back onto the form and nothing starts),
// then acknowledged, then handed to IncidentControl, which starts the incident or joins it.

export function registerReportSubmission(app: App, deps: SlackDeps): void {
  app.view(REPORT_VIEW, async ({ ack, body, view }) => {
    const user = body.user.id;
    const ctx = decodeContext(view.private_metadata);
    let allowed: boolean;
    try {
      allowed = await deps.access.allows('report', user);
    } catch (err) {
      deps.logger.warn(`access check failed: ${err}`);
      return void (await ack({ response_action: 'errors', errors: { [BLOCK.credential]: 'Could not check your permission with Slack; try again.' } }));
    }
    if (!allowed) {
      await recordRefusal(deps, undefined, user, 'report an incident');
      return void (await ack({ response_action: 'errors', errors: { [BLOCK.credential]: refusal('report incidents') } }));
    }
    const reading = readReport(view.state.values, personOf(user));
    if (reading.errors) return void (await ack({ response_action: 'errors', errors: reading.errors }));
    await ack();
    let text: string;
    try {
      let input = reading.input;
      if (reading.pastedToken) {
        if (!deps.keepSecret) throw new Error('this Leakstop has no vault for leaked tokens');
        const kept = await deps.keepSecret(input.provider, reading.pastedToken, 'leaked', input.credentialId);
        input = { ...input, credentialId: kept.id };
      }
      const r = await deps.control.report(input);
      const handled = reading.pastedToken ? ' The token you pasted identified it; it was put in the vault and is not repeated anywhere.' : '';
      text = (r.joined
        ? `:link: That credential already has a running incident: \`${r.incidentId}\`. Your report was added to it.`
        : `:rotating_light: Incident \`${r.incidentId}\` started. Follow it in the incident channel.`) + handled;
    } catch (err) {
      text = errorText(err, 'the report');
    }
    await replyVia(ctx.responseUrl, text).catch((err) => deps.logger.warn(`reply failed: ${err}`));
  });
}
