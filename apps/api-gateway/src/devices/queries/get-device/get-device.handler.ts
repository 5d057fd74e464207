import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../database/device.repository.port';
import { DeviceRecord } from '../../domain/device';
import { DeviceNotFoundError } from '../../domain/device.errors';
import { GetDeviceQuery } from './get-device.query';

@QueryHandler(GetDeviceQuery)
export class GetDeviceHandler implements IQueryHandler<GetDeviceQuery> {
  constructor(@Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository) {}

  async execute({ ownerId, name }: GetDeviceQuery): Promise<DeviceRecord> {
    const device = await this.devices.findActiveByName(ownerId, name);
    if (!device) throw new DeviceNotFoundError(name);
    return device;
  }
}
