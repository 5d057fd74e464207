/** Published after a device is registered. */
export class DeviceRegisteredEvent {
  constructor(
    readonly deviceId: string,
    readonly ownerId: string,
    readonly name: string,
  ) {}
}
