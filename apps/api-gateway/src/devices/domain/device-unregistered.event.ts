/** Published after a device is revoked: listeners cut it off and drop caches. */
export class DeviceUnregisteredEvent {
  constructor(
    readonly deviceId: string,
    readonly ownerId: string,
    readonly name: string,
  ) {}
}
