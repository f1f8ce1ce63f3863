// When a scheduled rotation may run. No zod and no Node module: the rotation workflow imports it.

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Days of the week and hours `HH-HH` (end excluded), in UTC; domain/rotation.ts validates them. */
export interface RotationWindow {
  days: (typeof DAYS)[number][];
  hours: string;
}

/** The first moment at or after `now` inside the window (UTC, to the hour); `now` itself when inside. */
export function nextWindowStart(now: Date, window: RotationWindow | undefined): Date {
  if (!window) return now;
  const [from, to] = [Number(window.hours.slice(0, 2)), Number(window.hours.slice(3))];
  const inside = (t: Date) => window.days.includes(DAYS[t.getUTCDay()]!) && t.getUTCHours() >= from && t.getUTCHours() < to;
  if (inside(now)) return now;
  const t = new Date(now);
  t.setUTCMinutes(0, 0, 0);
  // A week of hours holds every allowed hour; the schema allows no empty window.
  for (let i = 0; i < 24 * 8; i++) {
    t.setUTCHours(t.getUTCHours() + 1);
    if (inside(t)) return t;
  }
  throw new Error(`the rotation window ${JSON.stringify(window)} has no hour in it`);
}

/** What a rotation keeps beside the runbook's state. */
export interface RotationFacts {
  /** The inventory entry's rotation key (its schedule's name). */
  key: string;
  /** The credential being replaced (its id before the rotation). */
  oldCredentialId?: string;
  window?: RotationWindow;
  /** When the run waited for the window to open, until when. */
  waitedUntil?: string;
  /** Why there was nothing to rotate (no credential found, …). */
  nothing?: string;
  /** A leak of this credential was reported while it ran: the incident that took over. */
  supersededBy?: string;
}
