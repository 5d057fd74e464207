import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The header that carries a request id: from the caller, in our responses, and in RPC messages. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What every log line written while serving one request can say about it. */
export interface RequestContext {
  requestId: string;
  /** The caller's address, where the request came over HTTP (the audit trail records it). */
  sourceAddress?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The request being served by the current async call chain, if any. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `work` (and everything it starts) as part of the request `context`. */
export function runInRequest<T>(context: RequestContext | undefined, work: () => T): T {
  return context ? storage.run(context, work) : work();
}

/**
 * Ids we accept from callers: short, printable, no spaces or quotes, so one can
 * neither break a log line nor smuggle a payload into it.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

/** The caller's id when it is sane, else a fresh one. */
export function requestIdFrom(header: unknown): string {
  const value: unknown = Array.isArray(header) ? (header as unknown[])[0] : header;
  return typeof value === 'string' && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
