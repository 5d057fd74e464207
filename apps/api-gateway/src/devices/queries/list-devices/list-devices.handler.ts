import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PRESENCE_REPOSITORY, PresenceRepository } from '../../../presence/database/presence.repository.port';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceView } from '../../domain/device-view';
import { ListDevicesQuery } from './list-devices.query';

@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
  ) {}

  async execute({ ownerId, online }: ListDevicesQuery): Promise<DeviceView[]> {
    const devices = await this.devices.listActive(ownerId);
    const presence = await this.presence.findMany(devices.map((d) => d.deviceId));
    const views = devices.map((device) => ({ ...device, presence: presence.get(device.deviceId) ?? null }));
    return online === undefined ? views : views.filter((view) => (view.presence?.online ?? false) === online);
  }
}
