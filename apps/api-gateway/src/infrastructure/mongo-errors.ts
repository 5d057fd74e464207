import { DomainError } from '@app/common';

/** True for MongoDB's duplicate-key error (E11000), raised by unique indexes. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** The database cannot be reached now: the caller may retry. */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'DATABASE_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor(reason: string) {
    super(`The database is unavailable; try again shortly (${reason})`);
  }
}

/**
 * The driver's and mongoose's names for "no server to talk to": selection
 * timed out, the connection broke or was never there. By name, not class, so
 * two copies of the driver (mongoose's and ours) classify the same.
 */
const UNAVAILABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoServerClosedError',
]);

/** Socket errors the driver lets through unwrapped (e.g. EPIPE: "socket has been ended by the other party"). */
const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
]);

export function isDatabaseUnavailableError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  if (typeof name === 'string' && UNAVAILABLE_ERROR_NAMES.has(name)) return true;
  if (typeof code === 'string' && SOCKET_ERROR_CODES.has(code)) return true;
  // mongoose's own wait for a connection (bufferCommands), should it ever be on.
  return name === 'MongooseError' && typeof message === 'string' && /buffering timed out/.test(message);
}

/** A database error as the domain sees it: DATABASE_UNAVAILABLE when the server is out of reach, else unchanged. */
export function toDomainDatabaseError(error: unknown): unknown {
  if (!isDatabaseUnavailableError(error)) return error;
  return new DatabaseUnavailableError((error as Error).name);
}

/**
 * Class decorator for persistence adapters: every method's rejection goes
 * through toDomainDatabaseError, so no driver error reaches a handler (or the
 * HTTP filter, as a 500) unmapped.
 */
export function MapsDatabaseErrors(): ClassDecorator {
  return (target) => {
    const proto = (target as unknown as { prototype: Record<string, unknown> }).prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (key === 'constructor' || !descriptor || typeof descriptor.value !== 'function') continue;
      const original = descriptor.value as (...args: unknown[]) => unknown;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        let result: unknown;
        try {
          result = original.apply(this, args);
        } catch (error) {
          throw toDomainDatabaseError(error);
        }
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            throw toDomainDatabaseError(error);
          });
        }
        return result;
      };
      Object.defineProperty(wrapped, 'name', { value: original.name });
      Object.defineProperty(proto, key, { ...descriptor, value: wrapped });
    }
  };
}
