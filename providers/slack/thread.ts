import type { WebClient } from '@slack/web-api';

// Finds what the notifier already posted, by the message metadata it tagged each message with.
// Slack is the only record: a worker that crashed, or another worker that took over, finds the
// same thread and the same replies, so a retried notification posts nothing twice.

export const PARENT_EVENT = 'leakstop_incident';
export const REPLY_EVENT = 'leakstop_event';

export interface LeakstopTag {
  incidentId: string;
  eventKey: string;
}

interface Listed {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: unknown };
}

/** The Leakstop tag of a listed message, if it carries one of the given type. */
export function tagOf(m: Listed, eventType: string): LeakstopTag | undefined {
  if (m.metadata?.event_type !== eventType) return undefined;
  const p = m.metadata.event_payload as Partial<LeakstopTag> | undefined;
  return typeof p?.incidentId === 'string' && typeof p.eventKey === 'string' ? { incidentId: p.incidentId, eventKey: p.eventKey } : undefined;
}

export class ThreadIndex {
  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    /** Pages of channel history (200 messages each) searched for a parent, newest first. */
    private readonly historyPages = 10,
  ) {}

  async findParent(incidentId: string): Promise<string | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < this.historyPages; page++) {
      const r = await this.client.conversations.history({ channel: this.channel, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
      // Several parents for one incident can only come from a race; the oldest is the thread people know.
      const found = (r.messages ?? []).filter((m) => tagOf(m, PARENT_EVENT)?.incidentId === incidentId && m.ts).map((m) => m.ts!);
      if (found.length > 0) return found.sort(byTs)[0];
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  async hasReply(parentTs: string, eventKey: string): Promise<boolean> {
    let cursor: string | undefined;
    for (;;) {
      const r = await this.client.conversations.replies({ channel: this.channel, ts: parentTs, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
      if ((r.messages ?? []).some((m) => tagOf(m, REPLY_EVENT)?.eventKey === eventKey)) return true;
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) return false;
    }
  }
}

/** Slack timestamps are fixed-point strings; Number() would drop their last digits. */
const byTs = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
