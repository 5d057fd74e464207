import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DeviceHistoryQueryHandler } from '../device-history.query-handler';
import { CommandPage, ListDeviceCommandsQuery } from './list-device-commands.query';

@QueryHandler(ListDeviceCommandsQuery)
export class ListDeviceCommandsHandler
  extends DeviceHistoryQueryHandler
  implements IQueryHandler<ListDeviceCommandsQuery>
{
  async execute({ ownerId, name, filter }: ListDeviceCommandsQuery): Promise<CommandPage> {
    const items = await this.history.list(await this.deviceIdOf(ownerId, name), filter);
    const last = items[items.length - 1];
    return { items, nextBefore: items.length === filter.limit && last ? last.commandId : null };
  }
}
