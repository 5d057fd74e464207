import { DomainError, serializeDomainError } from '../errors/domain-error';
import {
  DeviceBusyError,
  DeviceCommandUnavailableError,
  DeviceOfflineError,
  DeviceTimeoutError,
  RemoteDomainError,
  isSerializedDomainError,
} from './device-command.errors';

/** What crossing the broker does to an error: serialize, JSON both ways, check, rebuild. */
function acrossProcesses(error: DomainError): RemoteDomainError {
  const wire: unknown = JSON.parse(JSON.stringify(serializeDomainError(error)));
  if (!isSerializedDomainError(wire)) throw new Error('not recognised as a domain error');
  return new RemoteDomainError(wire);
}

describe('RemoteDomainError', () => {
  it('keeps every field of the original across processes', () => {
    const original = new DeviceTimeoutError('0123456789abcdef0123456789abcdef', 250);
    const remote = acrossProcesses(original);
    expect(remote).toBeInstanceOf(DomainError);
    expect(remote.code).toBe('DEVICE_TIMEOUT');
    expect(remote.kind).toBe('timeout');
    expect(remote.message).toBe('The device did not answer within 250 ms');
    expect(remote.details).toEqual({ deviceId: '0123456789abcdef0123456789abcdef', timeoutMs: 250 });
  });

  it.each([
    ['no code', { kind: 'timeout', message: 'm' }],
    ['no message', { code: 'C', kind: 'timeout' }],
    ['an unknown kind', { code: 'C', kind: 'explosive', message: 'm' }],
    ['null', null],
    ['a string', 'DEVICE_TIMEOUT'],
  ])('is not built from a wire value with %s', (_, value) => {
    expect(isSerializedDomainError(value)).toBe(false);
  });

  it('accepts every kind there is', () => {
    for (const kind of [
      'invalid',
      'unauthenticated',
      'forbidden',
      'not_found',
      'conflict',
      'rate_limited',
      'unavailable',
      'timeout',
      'bad_gateway',
    ]) {
      expect(isSerializedDomainError({ code: 'C', kind, message: 'm' })).toBe(true);
    }
  });
});

describe('the device-command errors', () => {
  const id = '0123456789abcdef0123456789abcdef';
  it.each([
    [new DeviceOfflineError(id), 'DEVICE_OFFLINE', 'unavailable', 'The device is not connected', { deviceId: id }],
    [
      new DeviceBusyError(id, 8),
      'DEVICE_BUSY',
      'rate_limited',
      'Too many requests are waiting for this device (limit 8); retry shortly',
      { deviceId: id, limit: 8 },
    ],
    [
      new DeviceCommandUnavailableError('broker closed the channel'),
      'DEVICE_COMMAND_UNAVAILABLE',
      'unavailable',
      'The device command service is unavailable: broker closed the channel',
      undefined,
    ],
  ])('%s has its stable code, kind, message and details', (error, code, kind, message, details) => {
    expect(error.code).toBe(code);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.details).toStrictEqual(details);
  });
});
