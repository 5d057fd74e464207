import { ArgumentsHost, BadRequestException, HttpException, Logger, MethodNotAllowedException } from '@nestjs/common';
import { DomainError } from './domain-error';
import { HttpErrorFilter } from './http-exception.filter';
import { createValidationPipe } from './validation';

class BusyError extends DomainError {
  readonly code = 'BUSY';
  readonly kind = 'rate_limited' as const;
}

class DownError extends DomainError {
  readonly code = 'DOWN';
  readonly kind = 'unavailable' as const;
}

function fakeResponse() {
  const response = {
    sent: false,
    headers: {} as Record<string, string>,
    statusCode: 0,
    body: undefined as unknown,
    header(name: string, value: string) {
      response.headers[name] = value;
      return response;
    },
    code(code: number) {
      response.statusCode = code;
      return response;
    },
    send(body: unknown) {
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
    response.sent = true;
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

  it("maps Fastify's request errors, as Nest hands them over: too large", () => {
    // What Nest makes of Fastify's FST_ERR_CTP_BODY_TOO_LARGE (RoutesResolver.mapExternalException).
    const tooLarge = new HttpException('Request body is too large', 413);
    expect(filter.toBody(tooLarge)).toEqual({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Request body is too large',
    });
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

  describe('Retry-After', () => {
    it('is not sent on a 429 that does not say when', () => {
      const { response, host } = fakeResponse();
      filter.catch(new BusyError('slow down'), host);
      expect(response.statusCode).toBe(429);
      expect(response.headers).toEqual({});
      expect(response.body).toStrictEqual({ statusCode: 429, code: 'BUSY', message: 'slow down' });
    });

    it('is not sent when retryAfterSeconds is not a number', () => {
      const { response, host } = fakeResponse();
      filter.catch(new BusyError('slow down', { retryAfterSeconds: 'soon' }), host);
      expect(response.headers).toEqual({});
    });

    it('is sent on 429 only, not on another status that carries retryAfterSeconds', () => {
      const { response, host } = fakeResponse();
      filter.catch(new DownError('broker down', { retryAfterSeconds: 5 }), host);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toEqual({});
    });
  });

  it.each([
    [400, 'VALIDATION_FAILED'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [405, 'METHOD_NOT_ALLOWED'],
    [409, 'CONFLICT'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [415, 'UNSUPPORTED_MEDIA_TYPE'],
    [429, 'TOO_MANY_REQUESTS'],
  ])('gives a framework %i the code %s', (status, code) => {
    expect(filter.toBody(new HttpException('refused', status))).toStrictEqual({
      statusCode: status,
      code,
      message: 'refused',
    });
  });

  it('gives a framework status without a stable code HTTP_<status>', () => {
    expect(filter.toBody(new HttpException('teapot', 418))).toStrictEqual({
      statusCode: 418,
      code: 'HTTP_418',
      message: 'teapot',
    });
  });

  it('joins a list of messages into one', () => {
    expect(filter.toBody(new BadRequestException(['name is too long', 'kind is unknown']))).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'name is too long; kind is unknown',
    });
  });

  it('keeps the exception message when the body has no message string', () => {
    const body = filter.toBody(new HttpException({ message: 42 }, 409));
    expect(body).toStrictEqual({ statusCode: 409, code: 'CONFLICT', message: 'Http Exception' });
  });

  it('keeps a code the exception body names itself', () => {
    expect(filter.toBody(new HttpException({ code: 'NAME_TAKEN', message: 'taken' }, 409))).toStrictEqual({
      statusCode: 409,
      code: 'NAME_TAKEN',
      message: 'taken',
    });
  });

  it("gives a 400 VALIDATION_FAILED whatever its message says (MALFORMED_JSON is the body parser's own error)", () => {
    expect(filter.toBody(new BadRequestException('Unexpected token } in JSON at position 9'))).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(filter.toBody(new BadRequestException('name is required'))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(filter.toBody(new HttpException({ message: 'JSON document conflicts' }, 409))).toMatchObject({
      code: 'CONFLICT',
    });
    expect(filter.toBody(new BadRequestException(['JSON field a', 'JSON field b']))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('survives a framework exception whose body is null', () => {
    expect(filter.toBody(new HttpException(null as unknown as string, 404))).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
    });
  });

  it('gives a plain error with a 4xx status HTTP_<status> when the status has no stable code', () => {
    const error = Object.assign(new Error('range not satisfiable'), { status: 416 });
    expect(filter.toBody(error)).toStrictEqual({ statusCode: 416, code: 'HTTP_416', message: 'range not satisfiable' });
  });

  describe('turns into a 500 whatever is not a 4xx', () => {
    let logged: jest.SpyInstance;
    beforeEach(() => {
      logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    });
    afterEach(() => logged.mockRestore());
    const internal = { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };

    it.each([
      ['a plain error with status 500', Object.assign(new Error('db password wrong'), { status: 500 })],
      ['a plain error with status 399', Object.assign(new Error('odd'), { status: 399 })],
      ['a plain error with status 302', Object.assign(new Error('moved'), { status: 302 })],
      ['a status that is a string', Object.assign(new Error('text status'), { status: '404' })],
      ['null', null],
      ['a string', 'boom'],
    ])('%s', (_, exception) => {
      expect(filter.toBody(exception)).toStrictEqual(internal);
    });

    it('logs the stack of an error, and a non-error as text', () => {
      const error = new Error('with a stack');
      filter.toBody(error);
      expect(logged).toHaveBeenLastCalledWith(error.stack);
      filter.toBody('just text');
      expect(logged).toHaveBeenLastCalledWith('just text');
    });
  });
});
