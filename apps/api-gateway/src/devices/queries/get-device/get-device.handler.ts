import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PRESENCE_REPOSITORY, PresenceRepository } from '../../../presence/database/presence.repository.port';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceView } from '../../domain/device-view';
import { DeviceNotFoundError } from '../../domain/device.errors';
import { GetDeviceQuery } from './get-device.query';

@QueryHandler(GetDeviceQuery)
export class GetDeviceHandler implements IQueryHandler<GetDeviceQuery> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
  ) {}

  async execute({ ownerId, name }: GetDeviceQuery): Promise<DeviceView> {
    const device = await this.devices.findActiveByName(ownerId, name);
    if (!device) throw new DeviceNotFoundError(name);
    return { ...device, presence: await this.presence.find(device.deviceId) };
  }
}
