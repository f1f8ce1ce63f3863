import { format } from 'node:util';
// Types only: processes that never serve Slack (the worker) do not load Bolt.
import type { LogLevel as BoltLevel, Logger as BoltLogger } from '@slack/bolt';
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

/**
 * Temporal's worker and core logs go through the same redacting logger. Once per process, before the
 * first native connection; `prometheus` also has the runtime serve the SDK's metrics there (host:port).
 */
export function installTemporalLogging(log: Logger, level: LogLevel = 'WARN', prometheus?: string): void {
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => log[LEVELS[entry.level]]({ ...entry.meta, sdk: true }, entry.message)),
    ...(prometheus ? { telemetryOptions: { metrics: { prometheus: { bindAddress: prometheus } } } } : {}),
  });
}

/** Bolt's level names are pino's (its enum's values are 'debug' … 'error'). */
const BOLT_LEVELS: Record<string, string> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'error', silent: 'error' };

/**
 * Bolt's logs (its receiver's warnings, handler errors it catches) through the same redacting logger:
 * its own console logger would write a secret in an error message to stdout as is. Bolt's arguments
 * are formatted as its console logger would, and redacted by the logger's hook like any other line.
 */
export function boltLogger(log: Logger): BoltLogger {
  const slack = log.child({ component: 'slack' });
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
    const err = msg.find((m): m is Error => m instanceof Error);
    const rest = msg.filter((m) => m !== err);
    slack[level](err ? { err } : {}, rest.length ? format(...rest) : (err?.message ?? ''));
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    // The level is the operator's (LEAKSTOP_LOG_LEVEL): Bolt asks for INFO whenever it is given a logger.
    setLevel: () => undefined,
    getLevel: () => (BOLT_LEVELS[slack.level] ?? 'error') as BoltLevel,
    setName: (name) => slack.setBindings({ name }),
  };
}
