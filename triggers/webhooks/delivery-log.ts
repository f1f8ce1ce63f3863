import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Deliveries already handled, so that a captured delivery sent again (a replay) is answered without
// being acted on. A signature proves who sent a body, not that it is sent for the first time: GitHub
// dates nothing, and the timestamped schemes stay valid for minutes. The log remembers each delivery
// for as long as a replay of it could still authenticate.
//
// It serves one ingress process. Several ingress hosts behind a load balancer need one shared store
// (a table with a unique key, or Redis SET NX with an expiry) instead: not built, since the ingress
// runs as one process today.

/** How an endpoint names one delivery for the log. */
export interface DeliveryKey {
  /** A digest of what the sender's signature covers: a replay cannot change it without breaking the signature. */
  digest: string;
  /** How long a replay of it could still authenticate, with a margin. */
  ttlMs: number;
  /** The sender's own delivery id, when it gives one: names the first delivery to people. */
  label?: string;
}

export type Claim = { duplicate: true; firstSeenAs?: string } | { duplicate: false; release(): void };

export interface DeliveryLogOptions {
  /** Keeps the log across restarts; without it the log lives in memory only. */
  file?: string;
  /** The most deliveries remembered; past it the oldest are forgotten first. */
  maxEntries?: number;
  now?: () => number;
  /** Told when the file cannot be written; the log then carries on in memory. */
  warn?: (message: string) => void;
}

interface Entry {
  expiresAt: number;
  label?: string;
}

/**
 * 100,000 deliveries in 72 hours is ~1,400 an hour, far above what secret scanning sends; at ~60
 * bytes a line the file stays under ~12 MB (it is compacted at twice its live size).
 */
export const MAX_DELIVERIES = 100_000;
/** A small file is not worth rewriting. */
const COMPACT_AT_LEAST = 1_000;

const KEY = /^[\x21-\x7e]{1,200}$/;
/** Delivery ids are GUIDs; anything else is not repeated in replies and logs. */
const LABEL = /^[A-Za-z0-9._:-]{1,80}$/;

/**
 * Append-only lines, `+ <expires at, ms> <key> [label]` when a delivery is handled and `- <key>` when
 * it failed and may come again; read back at start, rewritten with only the live entries once the
 * file holds twice as many lines. A line torn by a crash mid-write is skipped.
 */
export class DeliveryLog {
  private readonly entries = new Map<string, Entry>();
  private readonly file?: string;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;
  private lines = 0;
  private compactAt = COMPACT_AT_LEAST;
  private writable = true;

  constructor(o: DeliveryLogOptions = {}) {
    this.file = o.file;
    this.maxEntries = o.maxEntries ?? MAX_DELIVERIES;
    this.now = o.now ?? Date.now;
    this.warn = o.warn ?? (() => undefined);
    if (this.file) this.load(this.file);
  }

  /**
   * Records `key` unless it is already recorded and unexpired. Synchronous, so two copies of one
   * delivery arriving together cannot both pass. A claim that is not a duplicate is released when its
   * handling fails: a sender may deliver again what Leakstop could not handle.
   */
  claim(key: string, ttlMs: number, label?: string): Claim {
    if (!KEY.test(key)) throw new Error(`delivery key ${JSON.stringify(key.slice(0, 40))} must be 1 to 200 visible ASCII characters`);
    const now = this.now();
    const seen = this.entries.get(key);
    if (seen && seen.expiresAt > now) return { duplicate: true, firstSeenAs: seen.label };
    const entry: Entry = { expiresAt: now + ttlMs, ...(label && LABEL.test(label) ? { label } : {}) };
    this.entries.delete(key); // re-inserted last: the Map's order is the order of arrival
    this.entries.set(key, entry);
    this.append(`+ ${entry.expiresAt} ${key}${entry.label ? ` ${entry.label}` : ''}\n`);
    if (this.entries.size > this.maxEntries) this.shrink();
    return {
      duplicate: false,
      release: () => {
        if (this.entries.get(key) !== entry) return;
        this.entries.delete(key);
        this.append(`- ${key}\n`);
      },
    };
  }

  /** Deliveries remembered now (expired ones included until they are swept). */
  get size(): number {
    return this.entries.size;
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read the webhook delivery log ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const added = /^\+ (\d{1,15}) (\S{1,200})(?: (\S{1,80}))?$/.exec(line);
      const removed = /^- (\S{1,200})$/.exec(line);
      if (added) {
        this.entries.delete(added[2]!);
        this.entries.set(added[2]!, { expiresAt: Number(added[1]), ...(added[3] ? { label: added[3] } : {}) });
      } else if (removed) this.entries.delete(removed[1]!);
      if (line) this.lines++;
    }
    this.sweep();
    if (this.entries.size > this.maxEntries) this.shrink();
    this.compact();
  }

  private append(line: string): void {
    if (!this.file) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, line, { mode: 0o600 });
      this.lines++;
      this.writable = true;
    } catch (err) {
      // Refusing every webhook because a disk is full would stop incident response; replays stay
      // refused in memory meanwhile, only not across a restart.
      if (this.writable) this.warn(`cannot write the webhook delivery log ${this.file} (${(err as NodeJS.ErrnoException).code ?? err}); remembering deliveries in memory only`);
      this.writable = false;
      return;
    }
    if (this.lines >= this.compactAt) this.compact();
  }

  /** Rewrites the file with the live entries only, atomically (a crash leaves the old file or the new). */
  private compact(): void {
    this.sweep();
    this.compactAt = Math.max(COMPACT_AT_LEAST, 2 * this.entries.size);
    if (!this.file) return;
    const text = [...this.entries].map(([key, e]) => `+ ${e.expiresAt} ${key}${e.label ? ` ${e.label}` : ''}\n`).join('');
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, this.file);
      this.lines = this.entries.size;
    } catch (err) {
      if (this.writable) this.warn(`cannot compact the webhook delivery log ${this.file} (${(err as NodeJS.ErrnoException).code ?? err})`);
      this.writable = false;
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(key);
  }

  /**
   * Over the bound: expired entries go first, then the oldest, down to 90% so that the sweep (which
   * reads every entry) runs once per many deliveries, not on each.
   */
  private shrink(): void {
    this.sweep();
    const target = Math.floor(this.maxEntries * 0.9);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) break;
      this.entries.delete(key);
    }
  }
}
