import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InvokeDeviceResult } from '@app/common/device-command';
import { DeviceInvoker } from '../../device-invoker';
import { ControlDeviceCommand } from './control-device.command';

@CommandHandler(ControlDeviceCommand)
export class ControlDeviceHandler implements ICommandHandler<ControlDeviceCommand> {
  constructor(private readonly invoker: DeviceInvoker) {}

  execute({ ownerId, name, api, params, timeoutMs, commandId }: ControlDeviceCommand): Promise<InvokeDeviceResult> {
    return this.invoker.invoke(ownerId, name, api, params, timeoutMs, commandId);
  }
}
