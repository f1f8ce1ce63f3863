import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type DestinationStream, type Logger } from 'pino';
import { redact, redactDeep } from '../domain/redact';

/**
 * Structured logs (JSON lines, pino). Every argument is redacted before it is written, whoever logs:
 * Leakstop's own code or the Temporal SDK (routed here by `installTemporalLogging`).
 */
export function createLogger(destination?: DestinationStream, level = process.env.LEAKSTOP_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'leakstop' },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : redactDeep(a))) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Temporal's worker and core logs go through the same redacting logger. Once per process. */
export function installTemporalLogging(log: Logger, level: LogLevel = 'WARN'): void {
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => log[LEVELS[entry.level]]({ ...entry.meta, sdk: true }, entry.message)),
  });
}
