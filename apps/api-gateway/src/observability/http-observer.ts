import { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest } from '@app/common';
import { GatewayMetrics } from './gateway.metrics';

/** The route template a request matched (`/devices/:name/gpio/:number`), never its raw path. */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/**
 * Runs first on every HTTP request: gives it a request id (the caller's sane
 * `X-Request-Id`, else a fresh one), returns it in the response, makes it
 * current for everything logged while serving the request, and when the
 * response is done, observes its duration and writes one access-log line.
 *
 * The access line holds method, route template, status, duration, request id
 * and user id only: never the path's values, the query, headers or body, where
 * passwords, secrets and tokens travel.
 */
export function observeHttp(metrics: GatewayMetrics, logger: LoggerService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const context = {
      requestId: requestIdFrom(req.headers[REQUEST_ID_HEADER]),
      sourceAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    };
    res.setHeader('X-Request-Id', context.requestId);
    const started = performance.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const route = routeTemplate(req);
      // A response cut off before it was sent counts as what the client saw: nothing (status 0).
      const status = res.writableFinished ? res.statusCode : 0;
      metrics.httpRequestDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      const userId = (req as Request & { user?: { userId?: unknown } }).user?.userId;
      runInRequest(context, () => {
        logger.log({
          message: 'request',
          method: req.method,
          route,
          status,
          durationMs: Math.round(seconds * 10000) / 10,
          userId: typeof userId === 'string' ? userId : undefined,
        });
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
    runInRequest(context, next);
  };
}
