import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { DomainError, SerializedDomainError, serializeDomainError } from './domain-error';

/**
 * The RPC edge: domain errors travel back to the caller as their wire form
 * (code, kind, message); anything else becomes INTERNAL_ERROR, logged here.
 */
@Catch()
export class RpcDomainErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger(RpcDomainErrorFilter.name);

  catch(exception: unknown, _host: ArgumentsHost): Observable<SerializedDomainError> {
    if (exception instanceof DomainError) return throwError(() => serializeDomainError(exception));
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return throwError(() => ({
      code: 'INTERNAL_ERROR',
      kind: 'unavailable' as const,
      message: 'Internal error in device-command',
    }));
  }
}
