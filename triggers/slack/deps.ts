import type { Logger } from '@slack/bolt';
import type { IncidentControl } from '../control';
import type { Access } from './access';

/** Called whenever someone is refused; the lead routes it to the incident's timeline. */
export type OnRefused = (incidentId: string | undefined, who: string, what: string) => void | Promise<void>;

/** What the Slack handlers share. */
export interface SlackDeps {
  control: IncidentControl;
  access: Access;
  command: string;
  onRefused: OnRefused;
  logger: Logger;
  /** Puts a replacement credential in the vault; the workflow only gets the handle. */
  keepSecret?: (provider: string, secret: string, purpose?: 'leaked' | 'new', credentialId?: string) => Promise<{ id: string; handle: string }>;
}

/** How a Slack user is named in incidents (timeline, post-mortem): stable, unlike display names. */
export const personOf = (userId: string) => `slack:${userId}`;

/** Refusals are recorded but must never break the reply to the person. */
export async function recordRefusal(deps: SlackDeps, incidentId: string | undefined, userId: string, what: string): Promise<void> {
  try {
    await deps.onRefused(incidentId, personOf(userId), what);
  } catch (err) {
    deps.logger.error(`onRefused failed for ${incidentId ?? 'no incident'}: ${(err as Error).message}`);
  }
}

export const refusal = (what: string) => `Sorry, you are not allowed to ${what}. Ask a Leakstop approver; this attempt was recorded.`;
