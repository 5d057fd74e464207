import { Command } from '@nestjs/cqrs';
import { DeviceKeyType } from '@app/pki';
import { DeviceRecord } from '../../domain/device';
import { DeviceTags } from '../../domain/device-tags';

export interface RegisteredDevice {
  device: DeviceRecord;
  /** Only when the platform generated the key: returned once, never stored. */
  privateKeyPem?: string;
  caCertificatePem: string;
  /** For firmware that always sends credentials (username = deviceId). Returned once, stored as a hash. */
  brokerPassword: string;
}

export class RegisterDeviceCommand extends Command<RegisteredDevice> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    /** Ignored when a CSR is given. */
    readonly keyType: DeviceKeyType = 'rsa',
    readonly csrPem?: string,
    /** Up to 16 `key=value` pairs (device-tags.ts). */
    readonly tags: DeviceTags = {},
  ) {
    super();
  }
}
