import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

/** Who is asking, as the audit trail records it: never a credential. */
export interface RequestContext {
  sourceAddress: string;
  /** The caller's `X-Request-Id`, when it sent a sane one. */
  requestId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Express middleware: every request's handlers run inside its RequestContext. */
export function requestContextMiddleware(request: Request, _response: Response, next: NextFunction): void {
  const header = request.headers['x-request-id'];
  const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
  storage.run({ sourceAddress: request.ip ?? request.socket.remoteAddress ?? 'unknown', requestId }, next);
}

/** The current request's context; undefined outside a request (start-up, broker events). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
