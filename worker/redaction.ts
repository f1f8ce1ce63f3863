import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { redact, redactDeep } from '../domain/redact';
import type { Notifier, PostMortemSink } from '../providers/types';

// Decorators that put the redaction mechanism in front of every outbound sink, whichever provider
// implements it, so a new notifier or sink cannot forget it.

export const redactingNotifier = (n: Notifier): Notifier => ({
  notify: (e) => n.notify({ ...e, message: redact(e.message), snapshot: redactDeep(e.snapshot) }),
});

export const redactingSink = (s: PostMortemSink): PostMortemSink => ({
  open: (incidentId, markdown) => s.open(incidentId, redact(markdown)),
});

/** Errors leaving an activity (messages, stacks, causes) are redacted before Temporal records them. */
export const redactingActivityErrors: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw scrub(err);
      }
    },
  },
});

function scrub(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redact(err) : err;
  err.message = redact(err.message);
  if (err.stack) err.stack = redact(err.stack);
  if ((err as { cause?: unknown }).cause) (err as { cause?: unknown }).cause = scrub((err as { cause?: unknown }).cause);
  return err;
}
