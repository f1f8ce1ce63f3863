import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

// The key-hygiene audit on a Temporal Schedule (worker/schedules.ts): one activity lists what the
// providers can list, holds it against the inventory's rules and writes the report; the schedule's
// runs (and their results) are in the Temporal UI's Schedules page.

const { hygieneAudit } = proxyActivities<Activities>({
  // Listing every IAM user's keys takes one request per key: minutes in a large account.
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigError', 'PermanentError'] },
});

export interface HygieneRun {
  summary: string;
  findings: number;
  listed: number;
  reportUrl: string;
  /** Providers that could not list: the run says so instead of looking clean. */
  notListed: string[];
}

/** One audit, at the workflow's start time (the schedule's fire time). */
export async function hygieneWorkflow(): Promise<HygieneRun> {
  return hygieneAudit({ at: new Date().toISOString() });
}
