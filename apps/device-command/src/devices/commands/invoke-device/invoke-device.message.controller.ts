import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { DeviceCommandPattern, DeviceCommandRequest, DeviceCommandResult } from '@app/common/device-command';
import { InvokeDeviceCommand } from './invoke-device.command';
import { ackWhenDone } from '../../../transport.options';

type Request = DeviceCommandRequest<typeof DeviceCommandPattern.invoke>;
type Result = DeviceCommandResult<typeof DeviceCommandPattern.invoke>;

@Controller()
export class InvokeDeviceMessageController {
  constructor(private readonly commandBus: CommandBus) {}

  @MessagePattern(DeviceCommandPattern.invoke)
  invoke(@Payload() request: Request | undefined, @Ctx() context: RmqContext): Promise<Result> {
    // A message from the broker is an edge: nothing in it is trusted to match its type.
    const params = typeof request?.params === 'object' && request.params !== null ? request.params : {};
    const command = new InvokeDeviceCommand(
      String(request?.deviceId),
      String(request?.api),
      params,
      Number(request?.timeoutMs),
    );
    return ackWhenDone(context, () => this.commandBus.execute(command));
  }
}
