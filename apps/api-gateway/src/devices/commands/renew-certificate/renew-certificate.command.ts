import { Command } from '@nestjs/cqrs';
import { DeviceKeyType } from '@app/pki';
import { DeviceRecord } from '../../domain/device';

export interface RenewedCertificate {
  /** The device with its new certificate (same deviceId, name and tags). */
  device: DeviceRecord;
  /** Only when the platform generated the key: returned once, never stored. */
  privateKeyPem?: string;
  caCertificatePem: string;
}

/** Issues a new certificate for an existing device; the old one stops working now, or after `graceSeconds`. */
export class RenewCertificateCommand extends Command<RenewedCertificate> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    /** Ignored when a CSR is given. */
    readonly keyType: DeviceKeyType = 'rsa',
    readonly csrPem?: string,
    readonly graceSeconds = 0,
  ) {
    super();
  }
}
