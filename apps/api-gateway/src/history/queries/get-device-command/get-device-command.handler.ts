import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../../devices/database/device.repository.port';
import { DeviceNotFoundError } from '../../../devices/domain/device.errors';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from '../../database/command-history.repository.port';
import { CommandRecord } from '../../domain/command-record';
import { CommandNotFoundError } from '../../domain/command.errors';
import { GetDeviceCommandQuery } from './get-device-command.query';

@QueryHandler(GetDeviceCommandQuery)
export class GetDeviceCommandHandler implements IQueryHandler<GetDeviceCommandQuery> {
  constructor(
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    @Inject(COMMAND_HISTORY_REPOSITORY) private readonly history: CommandHistoryRepository,
  ) {}

  async execute({ ownerId, name, commandId }: GetDeviceCommandQuery): Promise<CommandRecord> {
    const device = await this.devices.findActiveByName(ownerId, name);
    if (!device) throw new DeviceNotFoundError(name);
    const record = await this.history.find(device.deviceId, commandId);
    if (!record) throw new CommandNotFoundError(commandId);
    return record;
  }
}
