import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { AuditTrail } from '../../../audit/audit-trail';
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
    private readonly audit: AuditTrail,
  ) {}

  async execute({ ownerId, name }: UnregisterDeviceCommand): Promise<{ deviceId: string }> {
    const at = new Date();
    const revoked = await this.devices.revokeByName(ownerId, name, at);
    if (!revoked) {
      this.audit.record({
        userId: ownerId,
        action: 'device.unregistered',
        outcome: 'DEVICE_NOT_FOUND',
        deviceName: name,
      });
      throw new DeviceNotFoundError(name);
    }
    // Unregistering is the revocation: the record stays, revoked, and the broker refuses the device.
    this.audit.record({
      userId: ownerId,
      action: 'device.unregistered',
      outcome: 'OK',
      deviceId: revoked.deviceId,
      deviceName: name,
    });
    this.events.publish(
      new DeviceUnregisteredEvent(revoked.deviceId, ownerId, name, acceptedCertificates(revoked, at)),
    );
    return { deviceId: revoked.deviceId };
  }
}
