import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DeviceInvoker } from '../../device-invoker';
import { ReadDeviceQuery } from './read-device.query';

@QueryHandler(ReadDeviceQuery)
export class ReadDeviceHandler implements IQueryHandler<ReadDeviceQuery> {
  constructor(private readonly invoker: DeviceInvoker) {}

  execute({ ownerId, name, api, params, timeoutMs, commandId }: ReadDeviceQuery): Promise<InvokeDeviceResult> {
    return this.invoker.invoke(ownerId, name, api, params, timeoutMs, commandId);
  }
}
