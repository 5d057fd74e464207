import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { CommandRecord } from '../../domain/command-record';
import { CommandNotFoundError } from '../../domain/command.errors';
import { DeviceHistoryQueryHandler } from '../device-history.query-handler';
import { GetDeviceCommandQuery } from './get-device-command.query';

@QueryHandler(GetDeviceCommandQuery)
export class GetDeviceCommandHandler extends DeviceHistoryQueryHandler implements IQueryHandler<GetDeviceCommandQuery> {
  async execute({ ownerId, name, commandId }: GetDeviceCommandQuery): Promise<CommandRecord> {
    const record = await this.history.find(await this.deviceIdOf(ownerId, name), commandId);
    if (!record) throw new CommandNotFoundError(commandId);
    return record;
  }
}
