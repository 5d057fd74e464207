import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { acceptedCertificates } from '../../domain/device';
import { DeviceNotFoundError } from '../../domain/device.errors';
import { DeviceUnregisteredEvent } from '../../domain/device-unregistered.event';
import { UnregisterDeviceCommand } from './unregister-device.command';

/** Revokes the device: the record stays (with its certificate's serial) so the broker can refuse it. */
@CommandHandler(UnregisterDeviceCommand)
export class UnregisterDeviceHandler implements ICommandHandler<UnregisterDeviceCommand> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly events: EventBus,
  ) {}

  async execute({ ownerId, name }: UnregisterDeviceCommand): Promise<{ deviceId: string }> {
    const at = new Date();
    const revoked = await this.devices.revokeByName(ownerId, name, at);
    if (!revoked) throw new DeviceNotFoundError(name);
    this.events.publish(
      new DeviceUnregisteredEvent(revoked.deviceId, ownerId, name, acceptedCertificates(revoked, at)),
    );
    return { deviceId: revoked.deviceId };
  }
}
