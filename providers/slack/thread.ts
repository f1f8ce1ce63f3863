import type { WebClient } from '@slack/web-api';

// Finds what the notifier already posted, by the message metadata it tagged each message with.
// Slack is the only record: a worker that crashed, or another worker that took over, finds the
// same thread and the same replies, so a retried notification posts nothing twice.
// Any app in the workspace can post metadata that looks like Leakstop's; only messages posted by
// Leakstop's own bot count, or another app could take over an incident's thread or silence a reply.

export const PARENT_EVENT = 'leakstop_incident';
export const REPLY_EVENT = 'leakstop_event';

export interface LeakstopTag {
  incidentId: string;
  eventKey: string;
}

interface Listed {
  ts?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: unknown };
}

/** The Leakstop tag of a listed message, if it carries one of the given type and was posted by the bot `botId`. */
export function tagOf(m: Listed, eventType: string, botId: string): LeakstopTag | undefined {
  if (m.bot_id !== botId || m.metadata?.event_type !== eventType) return undefined;
  const p = m.metadata.event_payload as Partial<LeakstopTag> | undefined;
  return typeof p?.incidentId === 'string' && typeof p.eventKey === 'string' ? { incidentId: p.incidentId, eventKey: p.eventKey } : undefined;
}

export class ThreadIndex {
  private botId?: Promise<string>;

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    /** Pages of channel history (200 messages each) searched for a parent, newest first. */
    private readonly historyPages = 10,
  ) {}

  async findParent(incidentId: string): Promise<string | undefined> {
    const bot = await this.ownBot();
    let cursor: string | undefined;
    for (let page = 0; page < this.historyPages; page++) {
      const r = await this.client.conversations.history({ channel: this.channel, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
      // Several parents for one incident can only come from a race; the oldest is the thread people know.
      const found = (r.messages ?? []).filter((m) => tagOf(m, PARENT_EVENT, bot)?.incidentId === incidentId && m.ts).map((m) => m.ts!);
      if (found.length > 0) return found.sort(byTs)[0];
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  async hasReply(parentTs: string, eventKey: string): Promise<boolean> {
    const bot = await this.ownBot();
    let cursor: string | undefined;
    for (;;) {
      const r = await this.client.conversations.replies({ channel: this.channel, ts: parentTs, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
      if ((r.messages ?? []).some((m) => tagOf(m, REPLY_EVENT, bot)?.eventKey === eventKey)) return true;
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) return false;
    }
  }

  /** The bot id of the token, as Slack's auth.test reports it: asked once, and again only after a failed lookup. */
  private ownBot(): Promise<string> {
    if (!this.botId) {
      const asked = this.client.auth.test().then((r) => {
        if (!r.bot_id) throw new Error('auth.test reported no bot_id: the Slack notifier needs a bot token (xoxb-)');
        return r.bot_id;
      });
      asked.catch(() => {
        if (this.botId === asked) this.botId = undefined;
      });
      this.botId = asked;
    }
    return this.botId;
  }
}

/** Slack timestamps are fixed-point strings; Number() would drop their last digits. */
const byTs = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
