/**
 * Local activities one at a time, in the order the workflow asked for them.
 *
 * Two local activities running at once finish in wall-clock order, and the branches waiting on them go on
 * in that order; on replay, the SDK (1.24) hands both results back in one activation, in the order they
 * were scheduled, so the branches go on in the other order and issue their commands in a different order
 * than the history holds: a nondeterminism error for a worker that takes the incident over. With one
 * local activity at a time, each result comes back alone, on the first run and on replay alike.
 * `inTurn` is false for histories recorded before this rule (the `local-activities-in-turn` patch).
 */
export class InTurn {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly inTurn: boolean) {}

  run<T>(call: () => Promise<T>): Promise<T> {
    if (!this.inTurn) return call();
    const mine = this.last.then(call);
    this.last = mine.catch(() => undefined);
    return mine;
  }
}

/** 2026-11, after 0.1.0: a workflow runs its local activities one at a time (workflows/in-turn.ts). */
export const LOCAL_ACTIVITIES_IN_TURN = 'local-activities-in-turn';
