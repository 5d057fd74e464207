import { LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest } from '@app/common';
import { GatewayMetrics } from './gateway.metrics';

/** The route template a request matched (`/devices/:name/gpio/:number`), never its raw path. */
export function routeTemplate(request: FastifyRequest): string {
  const url = request.is404 ? undefined : request.routeOptions.url;
  return typeof url === 'string' ? url : 'unmatched';
}

/**
 * The first hook of every HTTP request (Fastify's onRequest, ahead of middleware):
 * gives it a request id (the caller's sane `X-Request-Id`, else a fresh one),
 * returns it in the response, makes it current for everything logged while
 * serving the request, and when the response is done, observes its duration and
 * writes one access-log line.
 *
 * The access line holds method, route template, status, duration, request id
 * and user id only: never the path's values, the query, headers or body, where
 * passwords, secrets and tokens travel.
 */
export function observeHttp(metrics: GatewayMetrics, logger: LoggerService) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const context = {
      requestId: requestIdFrom(request.headers[REQUEST_ID_HEADER]),
      sourceAddress: request.ip ?? request.socket.remoteAddress ?? 'unknown',
    };
    const response = reply.raw;
    // On the raw response, so that answers written raw (the event stream) carry it too.
    response.setHeader('X-Request-Id', context.requestId);
    const started = performance.now();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const seconds = (performance.now() - started) / 1000;
      const route = routeTemplate(request);
      // A response cut off before it was sent counts as what the client saw: nothing (status 0).
      const status = response.writableFinished ? response.statusCode : 0;
      metrics.httpRequestDuration.observe({ method: request.method, route, status: String(status) }, seconds);
      const userId = (request as FastifyRequest & { user?: { userId?: unknown } }).user?.userId;
      runInRequest(context, () => {
        logger.log({
          message: 'request',
          method: request.method,
          route,
          status,
          durationMs: Math.round(seconds * 10000) / 10,
          userId: typeof userId === 'string' ? userId : undefined,
        });
      });
    };
    response.once('finish', finish);
    response.once('close', finish);
    runInRequest(context, done);
  };
}
