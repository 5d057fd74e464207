import { ArgumentsHost, BadRequestException, Logger, MethodNotAllowedException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { HttpErrorFilter } from './http-exception.filter';
import { createValidationPipe } from './validation';

class BusyError extends DomainError {
  readonly code = 'BUSY';
  readonly kind = 'rate_limited' as const;
}

function fakeResponse() {
  const response = {
    headersSent: false,
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    setHeader(name: string, value: string) {
      response.headers[name] = value;
    },
    status(code: number) {
      response.statusCode = code;
      return response;
    },
    json(body: unknown) {
      response.body = body;
      return response;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  return { response, host };
}

describe('HttpErrorFilter', () => {
  const filter = new HttpErrorFilter();

  it('answers with the body and status, and Retry-After on a 429 that says when', () => {
    const { response, host } = fakeResponse();
    filter.catch(new BusyError('slow down', { retryAfterSeconds: 7 }), host);
    expect(response.statusCode).toBe(429);
    expect(response.headers['Retry-After']).toBe('7');
    expect(response.body).toEqual({
      statusCode: 429,
      code: 'BUSY',
      message: 'slow down',
      details: { retryAfterSeconds: 7 },
    });
  });

  it('writes nothing once headers are sent', () => {
    const { response, host } = fakeResponse();
    response.headersSent = true;
    filter.catch(new BusyError('late'), host);
    expect(response.statusCode).toBe(0);
    expect(response.body).toBeUndefined();
  });

  it('names every field the validation pipe refused', async () => {
    const error = await createValidationPipe()
      .transform({ value: 1 }, { type: 'body', metatype: class Strict {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestException);
    expect(filter.toBody(error)).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      details: { fields: ['value'] },
    });
  });

  it('gives framework exceptions the stable code of their status', () => {
    expect(filter.toBody(new MethodNotAllowedException())).toMatchObject({
      statusCode: 405,
      code: 'METHOD_NOT_ALLOWED',
    });
  });

  it('maps body-parser errors: bad JSON and too large', () => {
    const badJson = Object.assign(new Error('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, type: 'entity.too.large' });
    expect(filter.toBody(badJson)).toEqual({ statusCode: 400, code: 'MALFORMED_JSON', message: 'Unexpected token' });
    expect(filter.toBody(tooLarge)).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('turns anything else into a 500 that leaks nothing', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    expect(filter.toBody(new Error('secret internals'))).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });
});
