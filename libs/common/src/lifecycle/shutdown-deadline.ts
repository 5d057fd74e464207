import { Logger } from '@nestjs/common';

export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * Bounds a graceful shutdown. Nest's shutdown hooks close the broker connections
 * politely, which waits for the broker; a broker that is busy (tearing down
 * 10,000 device connections) or gone can make that take far longer than an
 * operator or a supervisor will wait. After `deadlineMs` the process exits with 1.
 */
export function exitIfShutdownStalls(
  deadlineMs = DEFAULT_SHUTDOWN_DEADLINE_MS,
  signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const arm = (signal: NodeJS.Signals): void => {
    setTimeout(() => {
      Logger.warn(`still shutting down ${deadlineMs} ms after ${signal}: exiting now`, 'Shutdown');
      exit(1);
    }, deadlineMs).unref();
  };
  for (const signal of signals) process.once(signal, arm);
}
