import { DomainError } from '@app/common';

/**
 * Details carried by both payload errors. `field` names the offending field;
 * it is absent when the payload as a whole is wrong (not JSON, not an object)
 * or when the api itself is unknown.
 */
export interface DevicePayloadErrorDetails extends Record<string, unknown> {
  api: string;
  field?: string;
  reason: string;
}

/** A caller asked us to send a device a request the protocol cannot carry (HTTP 400). */
export class InvalidDeviceRequestError extends DomainError {
  readonly code = 'INVALID_DEVICE_REQUEST';
  readonly kind = 'invalid' as const;
  declare readonly details: DevicePayloadErrorDetails;

  constructor(message: string, details: DevicePayloadErrorDetails) {
    super(message, details);
  }
}

/** A device answered with something that does not match the protocol (HTTP 502). */
export class DeviceBadReplyError extends DomainError {
  readonly code = 'DEVICE_BAD_REPLY';
  readonly kind = 'bad_gateway' as const;
  declare readonly details: DevicePayloadErrorDetails;

  constructor(message: string, details: DevicePayloadErrorDetails) {
    super(message, details);
  }
}
