import { CertificateIdentity } from './device';

/** Published after a device is revoked: listeners cut it off and drop caches. */
export class DeviceUnregisteredEvent {
  constructor(
    readonly deviceId: string,
    readonly ownerId: string,
    readonly name: string,
    /** The certificates it could log in with until now (the current one, and one in a renewal's grace window). */
    readonly certificates: CertificateIdentity[] = [],
  ) {}
}
