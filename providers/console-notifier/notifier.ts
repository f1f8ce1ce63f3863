import type { IncidentEvent, Notifier } from '../types';

const MARK: Record<IncidentEvent['kind'], string> = {
  started: '▶',
  progress: '·',
  done: '✔',
  failed: '✖',
  waiting: '⏸',
  finished: '■',
};

/** Prints each step on one line; the demo and `npm start` show incidents this way. */
export class ConsoleNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  async notify(e: IncidentEvent): Promise<void> {
    this.write(`${new Date().toISOString()} ${MARK[e.kind]} [${e.incidentId}] ${e.phase}: ${e.message}`);
  }
}
