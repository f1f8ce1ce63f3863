import type { Verification } from '../../domain/results';
import { PermanentError } from '../types';
import { webhookIds, type SlackTokenKind } from './token-format';

// What a replacement must be before it is written anywhere, as far as its own value can say; the
// provider checks the rest with Slack (auth.test).

/** Which kinds of new credential stand in for which leaked kind. */
export function replaces(fresh: SlackTokenKind, leaked: SlackTokenKind): boolean {
  const family = (k: SlackTokenKind) => (k === 'bot' || k === 'rotating-bot' ? 'bot' : k === 'user' || k === 'rotating-user' || k === 'legacy' ? 'user' : k);
  if (leaked === 'refresh' || leaked === 'legacy') return family(fresh) === 'bot' || family(fresh) === 'user';
  return family(fresh) === family(leaked) && fresh !== 'legacy';
}

/** A webhook cannot be checked without posting to its channel: only what the URLs say is compared. */
export function verifyWebhook(leakedUrl: string, url: string, what: string, leaked: string): Verification {
  const before = webhookIds(leakedUrl)!;
  const after = webhookIds(url)!;
  if (before.teamId !== after.teamId) throw new PermanentError(`the new ${what} posts to workspace ${after.teamId}, the leaked one to ${before.teamId}`, 'invalid');
  return {
    newWorks: false,
    newIdentity: `${after.teamId}/${after.webhookId}`,
    oldDisabled: false,
    detail:
      `new ${what} (${after.teamId}/${after.webhookId}) is for the same workspace; neither it nor the leaked ${leaked} (${before.teamId}/${before.webhookId}) was checked: ` +
      'Slack offers no way to check an incoming webhook without posting to its channel',
  };
}
