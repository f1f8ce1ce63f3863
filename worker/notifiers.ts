import { ConsoleNotifier } from '../providers/console-notifier/notifier';
import { notifierClient, SlackNotifier } from '../providers/slack/notifier';
import type { Notifier } from '../providers/types';
import { loadSlackConfig } from '../triggers/slack/config';

/** Console always; the incident's Slack thread when Slack is configured. Each notifier is idempotent. */
export function notifiersFromEnv(env: NodeJS.ProcessEnv = process.env, slackApiUrl?: string): Notifier {
  const all: Notifier[] = [new ConsoleNotifier()];
  const slack = loadSlackConfig(env);
  if (slack) {
    all.push(new SlackNotifier(notifierClient(slack.botToken, slackApiUrl ? { slackApiUrl } : {}), slack.channel, { escalate: slack.escalation }));
  }
  return all.length === 1 ? all[0]! : { notify: async (e) => void (await Promise.all(all.map((n) => n.notify(e)))) };
}
