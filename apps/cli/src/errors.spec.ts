import {
  ApiError,
  CliError,
  ExitCode,
  GatewayUnreachableError,
  NotLoggedInError,
  UsageError,
  errorBody,
  exitCodeFor,
} from './errors';

describe('exitCodeFor', () => {
  it.each<[number, string, number]>([
    [400, 'VALIDATION_FAILED', ExitCode.usage],
    [400, 'INVALID_CSR', ExitCode.usage],
    [413, 'PAYLOAD_TOO_LARGE', ExitCode.usage],
    [401, 'UNAUTHORIZED', ExitCode.auth],
    [401, 'INVALID_CREDENTIALS', ExitCode.auth],
    [403, 'FORBIDDEN', ExitCode.auth],
    [404, 'DEVICE_NOT_FOUND', ExitCode.notFound],
    [404, 'NOT_FOUND', ExitCode.notFound],
    [409, 'USERNAME_TAKEN', ExitCode.conflict],
    [409, 'DEVICE_NAME_TAKEN', ExitCode.conflict],
    [503, 'DEVICE_OFFLINE', ExitCode.device],
    [504, 'DEVICE_TIMEOUT', ExitCode.device],
    [502, 'DEVICE_BAD_REPLY', ExitCode.device],
    [429, 'DEVICE_BUSY', ExitCode.device],
    [503, 'DEVICE_COMMAND_UNAVAILABLE', ExitCode.device],
    [429, 'TOO_MANY_REQUESTS', ExitCode.device],
    [502, 'HTTP_502', ExitCode.device],
    [500, 'INTERNAL_ERROR', ExitCode.internal],
    [418, 'HTTP_418', ExitCode.internal],
  ])('HTTP %i %s → %i', (status, code, exit) => {
    expect(exitCodeFor(new ApiError(status, code, 'x'))).toBe(exit);
  });

  it('maps a device code by its code even if the status were unusual', () => {
    expect(exitCodeFor(new ApiError(500, 'DEVICE_TIMEOUT', 'x'))).toBe(ExitCode.device);
  });

  it('maps local errors', () => {
    expect(exitCodeFor(new UsageError('bad'))).toBe(2);
    expect(exitCodeFor(new NotLoggedInError('no'))).toBe(3);
    expect(exitCodeFor(new NotLoggedInError('old', 'TOKEN_EXPIRED'))).toBe(3);
    expect(exitCodeFor(new GatewayUnreachableError('https://x', 'TLS_ERROR', 'CERT_HAS_EXPIRED', 'm'))).toBe(7);
    expect(exitCodeFor(new GatewayUnreachableError('https://x', 'GATEWAY_UNREACHABLE', 'ECONNREFUSED', 'm'))).toBe(7);
    expect(exitCodeFor(new CliError('write failed', ExitCode.internal))).toBe(1);
    expect(exitCodeFor(new TypeError('bug'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
  });
});

describe('errorBody', () => {
  it('is the gateway body for an ApiError', () => {
    expect(errorBody(new ApiError(404, 'DEVICE_NOT_FOUND', 'No device'))).toEqual({
      statusCode: 404,
      code: 'DEVICE_NOT_FOUND',
      message: 'No device',
    });
  });

  it('has statusCode 0 and a stable code for local errors', () => {
    expect(errorBody(new UsageError('bad flag'))).toEqual({ statusCode: 0, code: 'USAGE_ERROR', message: 'bad flag' });
    expect(errorBody(new NotLoggedInError('expired', 'TOKEN_EXPIRED'))).toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(errorBody(new GatewayUnreachableError('u', 'TLS_ERROR', 'X', 'm'))).toMatchObject({
      statusCode: 0,
      code: 'TLS_ERROR',
    });
    expect(errorBody(new Error('boom'))).toEqual({ statusCode: 0, code: 'INTERNAL_ERROR', message: 'boom' });
  });
});
