import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PRESENCE_REPOSITORY, PresenceRepository } from '../../../presence/database/presence.repository.port';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceRecord } from '../../domain/device';
import { DeviceView } from '../../domain/device-view';
import { ListDevicesQuery } from './list-devices.query';

@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
  ) {}

  async execute({ ownerId, filter, online }: ListDevicesQuery): Promise<DeviceView[]> {
    if (online === undefined) return this.withPresence(await this.devices.listActive(ownerId, filter));
    // Presence lives apart from the records: read pages until this one is full (or the list ends),
    // so a page shorter than the limit is still the last one.
    const views: DeviceView[] = [];
    let after = filter.after;
    for (;;) {
      const page = await this.devices.listActive(ownerId, { ...filter, after });
      views.push(...(await this.withPresence(page)).filter((view) => (view.presence?.online ?? false) === online));
      if (filter.limit === undefined || page.length < filter.limit || views.length >= filter.limit) break;
      after = page[page.length - 1].name;
    }
    return filter.limit === undefined ? views : views.slice(0, filter.limit);
  }

  private async withPresence(devices: DeviceRecord[]): Promise<DeviceView[]> {
    const presence = await this.presence.findMany(devices.map((d) => d.deviceId));
    return devices.map((device) => ({ ...device, presence: presence.get(device.deviceId) ?? null }));
  }
}
