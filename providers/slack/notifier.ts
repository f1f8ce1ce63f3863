import { createHash } from 'node:crypto';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { IncidentEvent, Notifier } from '../types';
import { isOpen, parentBlocks, parentText, replyText } from './message';
import { PARENT_EVENT, REPLY_EVENT, ThreadIndex } from './thread';

export interface SlackNotifierOptions {
  /** A user (U…) or user group (S…) mentioned in every reply that waits for a person. */
  escalate?: string;
  /** Pages of channel history (200 messages each) searched for an incident's thread. */
  historyPages?: number;
}

/** Events that get a reply in the thread; the others only update the status message. */
const REPLY_KINDS: ReadonlySet<IncidentEvent['kind']> = new Set(['done', 'failed', 'waiting', 'finished']);

/**
 * Identifies one notification across retries and worker restarts: the same event always gets the
 * same key. A waiting event also carries when each wait began, because a step that fails again
 * after a retry waits again with the very same message, and people must hear about it again.
 */
export function eventKey(e: IncidentEvent): string {
  const since = e.kind === 'waiting' ? e.snapshot.waiting.map((w) => w.since) : [];
  return createHash('sha256').update(JSON.stringify([e.incidentId, e.phase, e.kind, e.message, since])).digest('hex').slice(0, 32);
}

/**
 * A WebClient for the notifier. Slack's own retries are off: a chat.postMessage whose answer was
 * lost would be sent again blindly, while Temporal's retry of the notification looks first. The
 * timeout stays under the notify activity's 10 s start-to-close.
 */
export function notifierClient(token: string, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, { timeout: 8_000, ...options, retryConfig: { retries: 0 } });
}

/**
 * One thread per incident in one channel: a status message kept up to date in place, and a reply
 * per important event. Holds no state that matters: Slack message metadata is the record, so a
 * retried or replayed notification finds what was already posted. The parent's ts is cached only
 * to spare the channel-history lookup.
 */
export class SlackNotifier implements Notifier {
  private readonly index: ThreadIndex;
  private readonly parents = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
    private readonly options: SlackNotifierOptions = {},
  ) {
    this.index = new ThreadIndex(client, channel, options.historyPages);
  }

  /** Parallel phases notify at once; one incident's notifications run one at a time so they cannot both create its thread. */
  notify(e: IncidentEvent): Promise<void> {
    const id = e.incidentId;
    const run = (this.queues.get(id) ?? Promise.resolve()).then(() => this.post(e));
    const settled = run.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return run;
  }

  private async post(e: IncidentEvent): Promise<void> {
    const key = eventKey(e);
    const parent = await this.statusMessage(e, key);
    if (!REPLY_KINDS.has(e.kind) || (await this.index.hasReply(parent, key))) return;
    await this.client.chat.postMessage({
      channel: this.channel,
      thread_ts: parent,
      text: replyText(e, this.options.escalate),
      unfurl_links: false,
      metadata: { event_type: REPLY_EVENT, event_payload: { incidentId: e.incidentId, eventKey: key } },
    });
  }

  /** Posts the incident's status message, or brings the existing one up to date; returns its ts. */
  private async statusMessage(e: IncidentEvent, key: string): Promise<string> {
    const content = { text: parentText(e.incidentId, e.snapshot), blocks: parentBlocks(e.incidentId, e.snapshot) };
    const known = this.parents.get(e.incidentId) ?? (await this.index.findParent(e.incidentId));
    const metadata = { event_type: PARENT_EVENT, event_payload: { incidentId: e.incidentId, eventKey: key } };
    if (known) {
      try {
        // Metadata is sent again so an edit can never strip the tag the lookup depends on.
        await this.client.chat.update({ channel: this.channel, ts: known, ...content, metadata });
        return this.remember(e, known);
      } catch (err) {
        if (slackError(err) !== 'message_not_found') throw err;
        // Someone deleted the thread: start a new one rather than fall silent.
        this.parents.delete(e.incidentId);
      }
    }
    const r = await this.client.chat.postMessage({ channel: this.channel, ...content, unfurl_links: false, metadata });
    if (!r.ts) throw new Error(`chat.postMessage for ${e.incidentId} returned no ts`);
    return this.remember(e, r.ts);
  }

  private remember(e: IncidentEvent, ts: string): string {
    if (isOpen(e.snapshot)) this.parents.set(e.incidentId, ts);
    else this.parents.delete(e.incidentId);
    return ts;
  }
}

export function slackError(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
