import { LogLevel } from '@nestjs/common';

const ORDER: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Nest log levels for LOG_LEVEL (`error`, `warn`, `log` (default), `debug`,
 * `verbose`): that level and everything more severe. Read before the app
 * module exists, so start-up itself logs at the chosen level.
 */
export function logLevels(level: string | undefined = process.env.LOG_LEVEL): LogLevel[] {
  const index = ORDER.indexOf((level ?? 'log').toLowerCase() as LogLevel);
  if (index < 0) throw new Error(`LOG_LEVEL must be one of ${ORDER.slice(1).join(', ')} (got "${level}")`);
  return ORDER.slice(0, index + 1);
}
