import { stringify } from 'yaml';
import { SLACK_EVENTS_PATH } from './app';

// The Slack app manifest (paste it at api.slack.com/apps → Create from manifest). The scopes are
// exactly what the code calls; the comment on each says which call needs it.

export const BOT_SCOPES = [
  'commands', // the slash command
  'chat:write', // chat.postMessage, chat.update: incident threads and the notes under them
  'channels:history', // conversations.history / conversations.replies: finding an incident's thread when the channel is public
  'groups:history', // the same when the incident channel is private
  'usergroups:read', // usergroups.users.list: reporters and approvers given as user groups
] as const;

export function slackManifest(o: { baseUrl: string; command?: string; name?: string }) {
  const url = `${o.baseUrl.replace(/\/+$/, '')}${SLACK_EVENTS_PATH}`;
  const name = o.name ?? 'Leakstop';
  return {
    display_information: {
      name,
      description: 'Incident response for leaked credentials, on Temporal',
    },
    features: {
      bot_user: { display_name: name.toLowerCase(), always_online: true },
      slash_commands: [
        {
          command: o.command ?? '/leakstop',
          url,
          description: 'Report a leaked credential, or see incidents',
          usage_hint: 'report [access key id] | status [incident] | list | help',
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      // No event subscriptions: Leakstop only answers commands and button clicks.
      interactivity: { is_enabled: true, request_url: url },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}

// `node -r @swc-node/register triggers/slack/manifest.ts https://leakstop.example.com [/command]` prints the manifest as YAML.
if (require.main === module) {
  const [baseUrl, command] = process.argv.slice(2);
  if (!baseUrl) {
    console.error('usage: node -r @swc-node/register triggers/slack/manifest.ts <public base URL of the ingress> [/command]');
    process.exit(2);
  }
  process.stdout.write(stringify(slackManifest({ baseUrl, ...(command ? { command } : {}) })));
}
