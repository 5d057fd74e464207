import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../../devices/database/device.repository.port';
import { DeviceNotFoundError } from '../../../devices/domain/device.errors';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from '../../database/command-history.repository.port';
import { CommandPage, ListDeviceCommandsQuery } from './list-device-commands.query';

@QueryHandler(ListDeviceCommandsQuery)
export class ListDeviceCommandsHandler implements IQueryHandler<ListDeviceCommandsQuery> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(COMMAND_HISTORY_REPOSITORY) private readonly history: CommandHistoryRepository,
  ) {}

  async execute({ ownerId, name, filter }: ListDeviceCommandsQuery): Promise<CommandPage> {
    const device = await this.devices.findActiveByName(ownerId, name);
    if (!device) throw new DeviceNotFoundError(name);
    const items = await this.history.list(device.deviceId, filter);
    const last = items[items.length - 1];
    return { items, nextBefore: items.length === filter.limit && last ? last.commandId : null };
  }
}
