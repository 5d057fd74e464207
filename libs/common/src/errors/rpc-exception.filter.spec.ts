import { ArgumentsHost, Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { DomainError } from './domain-error';
import { RpcDomainErrorFilter } from './rpc-exception.filter';

class OfflineError extends DomainError {
  readonly code = 'DEVICE_OFFLINE';
  readonly kind = 'unavailable' as const;
}

const host = {} as ArgumentsHost;
const thrown = (exception: unknown) =>
  lastValueFrom(new RpcDomainErrorFilter().catch(exception, host)).then(
    () => undefined,
    (error: unknown) => error,
  );

describe('RpcDomainErrorFilter', () => {
  it('sends a domain error as its wire form: code, kind, message and details', async () => {
    expect(await thrown(new OfflineError('not connected', { deviceId: 'abc' }))).toEqual({
      code: 'DEVICE_OFFLINE',
      kind: 'unavailable',
      message: 'not connected',
      details: { deviceId: 'abc' },
    });
  });

  it('sends anything else as INTERNAL_ERROR, without its message', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    expect(await thrown(new Error('stack secrets'))).toEqual({
      code: 'INTERNAL_ERROR',
      kind: 'unavailable',
      message: 'Internal error in device-command',
    });
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });

  it('logs the stack of an error, and a non-error as text', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const error = new Error('with a stack');
    await thrown(error);
    expect(logged).toHaveBeenLastCalledWith(error.stack);
    await thrown('just text');
    expect(logged).toHaveBeenLastCalledWith('just text');
    logged.mockRestore();
  });
});
