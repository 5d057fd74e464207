import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceRecord } from '../../domain/device';
import { ListDevicesQuery } from './list-devices.query';

@QueryHandler(ListDevicesQuery)
export class ListDevicesHandler implements IQueryHandler<ListDevicesQuery> {
  constructor(@Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository) {}

  execute({ ownerId, filter }: ListDevicesQuery): Promise<DeviceRecord[]> {
    return this.devices.listActive(ownerId, filter);
  }
}
