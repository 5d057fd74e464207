import { Controller } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { DeviceCommandPattern, InvokeDeviceRequest, InvokeDeviceResult } from '@app/common';
import { InvokeDeviceCommand } from './invoke-device.command';
import { ackMessage } from '../../../transport.options';

@Controller()
export class InvokeDeviceMessageController {
  constructor(private readonly commandBus: CommandBus) {}

  @MessagePattern(DeviceCommandPattern.invoke)
  async invoke(@Payload() request: InvokeDeviceRequest, @Ctx() context: RmqContext): Promise<InvokeDeviceResult> {
    try {
      const params = typeof request?.params === 'object' && request.params !== null ? request.params : {};
      return await this.commandBus.execute(
        new InvokeDeviceCommand(String(request?.deviceId), String(request?.api), params, Number(request?.timeoutMs)),
      );
    } finally {
      // Acked once the work is done: if this replica dies first, the shard's next consumer gets it.
      ackMessage(context);
    }
  }
}
