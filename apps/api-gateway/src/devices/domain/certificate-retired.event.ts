import { CertificateIdentity } from './device';

/**
 * Published when a renewal replaced a device's certificate: from `at` on, the platform refuses
 * that certificate, and listeners close the connections it still holds on the broker.
 */
export class CertificateRetiredEvent {
  constructor(
    readonly deviceId: string,
    readonly name: string,
    readonly certificate: CertificateIdentity,
    readonly at: Date,
  ) {}
}
