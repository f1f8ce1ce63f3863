import type { SlackIdentity } from './identity';
import { SLACK_TOKEN_ENV } from './settings';
import { webhookIds } from './token-format';

// What a person does where Slack has no API: the text of manual steps and of errors that wait for a
// person. Ids only (public), never a token.

const APPS = 'https://api.slack.com/apps';

const register = (incidentId: string) =>
  `Then save it in a file only you can read and run: leakstop incident done ${incidentId} --credential-file FILE (Leakstop checks it with Slack and updates every consumer).`;

const app = (who: SlackIdentity) => (who.appId ? `the Slack app ${who.appId}` : 'the Slack app the leaked token belongs to');
const workspace = (who: SlackIdentity) => (who.teamId ? `workspace ${who.teamId}` : 'its workspace');

export const manualText = {
  bot: (who: SlackIdentity, incidentId: string) =>
    `Reinstall ${app(who)} to ${workspace(who)} (${APPS} → the app → OAuth & Permissions → Reinstall to Workspace; for a distributed app, install it again through its install link) and copy the new Bot User OAuth Token (xoxb-…). ` +
    `Revoking the leaked token deactivated the bot user${who.userId ? ` ${who.userId}` : ''} and removed it from its channels: invite it back where it is needed. ${register(incidentId)}`,

  user: (who: SlackIdentity, incidentId: string) =>
    `Have ${who.userId ? `Slack user ${who.userId}` : 'the user the leaked token belongs to'} in ${workspace(who)} authorise ${app(who)} again (its install or sign-in link, or ${APPS} → the app → OAuth & Permissions → Reinstall to Workspace) and copy the new User OAuth Token (xoxp-…). ${register(incidentId)}`,

  rotating: (who: SlackIdentity, incidentId: string) =>
    `The leaked token is a rotating access token of ${app(who)} (it expires within 12 hours). Exchange the installation's refresh token for a new pair (oauth.v2.access with grant_type=refresh_token and the app's client id and secret), give the app its new refresh token, and register the new access token; reinstalling the app issues a new pair too. ` +
    `To let Leakstop do this itself next time, set ${SLACK_TOKEN_ENV.clientId}, ${SLACK_TOKEN_ENV.clientSecret} and ${SLACK_TOKEN_ENV.refreshTokenFile}. ${register(incidentId)}`,

  refresh: (incidentId: string) =>
    `Exchange the leaked refresh token at oauth.v2.access (grant_type=refresh_token, the app's client id and secret): Slack then refuses it, and answers with a new access token and refresh token. Give the app the new refresh token, and register the new access token. ` +
    `To let Leakstop do this itself, set ${SLACK_TOKEN_ENV.clientId} and ${SLACK_TOKEN_ENV.clientSecret}. ${register(incidentId)}`,

  app: (who: SlackIdentity, incidentId: string) =>
    `Generate a new app-level token for ${app(who)} (${APPS} → the app → Basic Information → App-Level Tokens → Generate Token and Scopes) with the scopes the leaked one had (Socket Mode needs connections:write), and revoke the leaked one on the same page if it is still listed. ${register(incidentId)}`,

  webhook: (url: string, incidentId: string) =>
    `Add a new incoming webhook to the same channel (${APPS} → the app → Incoming Webhooks → Add New Webhook to Workspace${teamOf(url)}) and copy its URL. ${register(incidentId)}`,

  legacy: (incidentId: string) =>
    `The leaked token is a legacy token (xoxa-, xoxo-, xoxs-), which Slack no longer issues: replace what used it with a token of a current Slack app (a bot token, xoxb-…, or a user token, xoxp-…). ${register(incidentId)}`,

  lostExchange: (who: SlackIdentity, at: string, incidentId: string) =>
    `Leakstop exchanged the refresh token of ${app(who)} in ${workspace(who)} at ${at}, but the answer was lost before it was stored (a worker stopped, or the connection broke): Slack no longer accepts that refresh token and nobody holds the new tokens. ` +
    `Reinstall the app (${APPS} → the app → OAuth & Permissions → Reinstall to Workspace, or its install link) to get a new access token and refresh token, give the app its new refresh token, and register the new access token. ${register(incidentId)}`,
};

/** Slack has no API that disables or removes an incoming webhook. */
export function removeWebhookText(url: string, then: string): string {
  const ids = webhookIds(url);
  return `Slack has no API to disable an incoming webhook: remove it by hand (${APPS} → the app → Incoming Webhooks → Remove next to the URL with ${ids ? `${ids.teamId}/${ids.webhookId}` : 'the leaked webhook'}), or uninstall the app. ${then}`;
}

/** Slack would not revoke an app-level token through auth.revoke. */
export function revokeAppTokenText(who: SlackIdentity): string {
  return `Slack does not revoke an app-level token through auth.revoke: revoke it by hand (${APPS} → ${who.appId ? `the app ${who.appId}` : 'the app'} → Basic Information → App-Level Tokens → the token → Revoke), then choose skip.`;
}

const teamOf = (url: string) => {
  const ids = webhookIds(url);
  return ids ? ` in workspace ${ids.teamId}` : '';
};
