import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from './domain-error';
import { HTTP_STATUS_BY_KIND } from './http-status';

/** The one error shape every HTTP route answers with. */
export interface ErrorResponseBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * Maps domain errors and framework exceptions to `{statusCode, code, message}`.
 * Fastify's own request errors (a body over the limit, a bad Content-Length) reach
 * it as HttpExceptions with their status, which Nest makes of them.
 * Unknown errors become a 500 with no internals in the body; they are logged.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (response.sent) return;
    const retryAfter = body.details?.retryAfterSeconds;
    if (body.statusCode === 429 && typeof retryAfter === 'number')
      void response.header('Retry-After', String(retryAfter));
    void response.code(body.statusCode).send(body);
  }

  toBody(exception: unknown): ErrorResponseBody {
    if (exception instanceof DomainError) {
      return {
        statusCode: HTTP_STATUS_BY_KIND[exception.kind],
        code: exception.code,
        message: exception.message,
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const raw = exception.getResponse();
      let message = exception.message;
      let code = CODE_BY_STATUS[statusCode] ?? `HTTP_${statusCode}`;
      if (typeof raw === 'object' && raw !== null) {
        const r = raw as { message?: unknown; code?: unknown };
        if (Array.isArray(r.message)) message = r.message.join('; ');
        else if (typeof r.message === 'string') message = r.message;
        if (typeof r.code === 'string') code = r.code;
        if (Array.isArray((r as { fields?: unknown }).fields)) {
          return { statusCode, code, message, details: { fields: (r as { fields: unknown[] }).fields } };
        }
      }
      return { statusCode, code, message };
    }
    // Errors of libraries that say their own 4xx status (http-errors style).
    const status = (exception as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        statusCode: status,
        code: CODE_BY_STATUS[status] ?? `HTTP_${status}`,
        message: (exception as Error).message,
      };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'INTERNAL_ERROR', message: 'Internal server error' };
  }
}
