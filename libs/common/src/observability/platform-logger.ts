import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { logLevels } from '../config/log-levels';
import { currentRequest } from './request-context';

export type LogFormat = 'text' | 'json';

/** LOG_FORMAT: `text` (default, for people at a terminal) or `json` (one object per line, for log shippers). */
export function logFormat(value: string | undefined = process.env.LOG_FORMAT): LogFormat {
  const format = (value || 'text').toLowerCase();
  if (format !== 'text' && format !== 'json') throw new Error(`LOG_FORMAT must be text or json (got "${value}")`);
  return format;
}

/**
 * A structured log message: `message` for people, the other fields for machines.
 * Values must be safe to log: callers never put secrets here.
 */
export interface LogFields {
  message: string;
  [field: string]: string | number | boolean | undefined;
}

function isLogFields(value: unknown): value is LogFields {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * Nest's console logger plus two things: every line written while serving a
 * request carries that request's id (wherever in the call chain it is logged),
 * and LOG_FORMAT=json writes one JSON object per line: time, level, context,
 * message, requestId and the message's fields.
 */
export class PlatformLogger extends ConsoleLogger {
  constructor(
    private readonly format: LogFormat = logFormat(),
    levels: LogLevel[] = logLevels(),
    private readonly write: (stream: 'stdout' | 'stderr', line: string) => void = (stream, line) =>
      process[stream].write(line),
  ) {
    super({ logLevels: levels });
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    const requestId = currentRequest()?.requestId;
    const stream = writeStreamType ?? 'stdout';
    if (this.format === 'json') {
      for (const message of messages) {
        const fields = isLogFields(message)
          ? message
          : message instanceof Error
            ? { message: message.message, stack: message.stack }
            : { message: typeof message === 'string' ? message : safeStringify(message) };
        const line = {
          time: new Date().toISOString(),
          level: logLevel,
          ...(context ? { context } : {}),
          ...(requestId ? { requestId } : {}),
          ...fields,
          ...(typeof errorStack === 'string' ? { stack: errorStack } : {}),
        };
        this.write(stream, `${safeStringify(line)}\n`);
      }
      return;
    }
    const texts = messages.map((message) => {
      const text = isLogFields(message) ? asText(message) : message;
      return requestId && typeof text === 'string' ? `${text} (request ${requestId})` : text;
    });
    for (const text of texts) {
      const formatted = this.formatMessage(
        logLevel,
        text,
        this.formatPid(process.pid),
        logLevel.toUpperCase().padStart(7, ' '),
        this.formatContext(context),
        this.updateAndGetTimestampDiff(),
      );
      this.write(stream, formatted);
    }
  }

  /** The stack of an error line: inside its JSON object already, or on its own lines in text. */
  protected override printStackTrace(stack: string): void {
    if (this.format === 'json' || !stack) return;
    this.write('stderr', `${stack}\n`);
  }
}

/** `message key=value ...`, skipping undefined fields. */
function asText({ message, ...fields }: LogFields): string {
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`);
  return pairs.length > 0 ? `${message} ${pairs.join(' ')}` : message;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
