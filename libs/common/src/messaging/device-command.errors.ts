import { DomainError, DomainErrorKind, SerializedDomainError } from '../errors/domain-error';

/** The device is not connected: nothing consumes its requests. Known at once. */
export class DeviceOfflineError extends DomainError {
  readonly code = 'DEVICE_OFFLINE';
  readonly kind = 'unavailable' as const;
  constructor(deviceId: string) {
    super('The device is not connected', { deviceId });
  }
}

export class DeviceTimeoutError extends DomainError {
  readonly code = 'DEVICE_TIMEOUT';
  readonly kind = 'timeout' as const;
  constructor(deviceId: string, timeoutMs: number) {
    super(`The device did not answer within ${timeoutMs} ms`, { deviceId, timeoutMs });
  }
}

/** Too many requests already wait for this device. */
export class DeviceBusyError extends DomainError {
  readonly code = 'DEVICE_BUSY';
  readonly kind = 'rate_limited' as const;
  constructor(deviceId: string, limit: number) {
    super(`Too many requests are waiting for this device (limit ${limit}); retry shortly`, { deviceId, limit });
  }
}

/** The broker or device-command cannot be reached. */
export class DeviceCommandUnavailableError extends DomainError {
  readonly code = 'DEVICE_COMMAND_UNAVAILABLE';
  readonly kind = 'unavailable' as const;
  constructor(reason: string) {
    super(`The device command service is unavailable: ${reason}`);
  }
}

/** A domain error raised in another process, rebuilt from its wire form with the same code and kind. */
export class RemoteDomainError extends DomainError {
  readonly code: string;
  readonly kind: DomainErrorKind;
  constructor(wire: SerializedDomainError) {
    super(wire.message, wire.details);
    this.code = wire.code;
    this.kind = wire.kind;
  }
}

const KINDS: ReadonlySet<string> = new Set<DomainErrorKind>([
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'unavailable',
  'timeout',
  'bad_gateway',
]);

export function isSerializedDomainError(value: unknown): value is SerializedDomainError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && typeof v.kind === 'string' && KINDS.has(v.kind);
}
