import { Controller } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { DeviceCommandPattern, DeviceCommandRequest, DeviceCommandResult } from '@app/common/device-command';
import { PingQuery } from './ping.query';
import { ackWhenDone } from '../../../transport.options';

type Request = DeviceCommandRequest<typeof DeviceCommandPattern.ping>;
type Result = DeviceCommandResult<typeof DeviceCommandPattern.ping>;

@Controller()
export class PingMessageController {
  constructor(private readonly queryBus: QueryBus) {}

  @MessagePattern(DeviceCommandPattern.ping)
  ping(@Payload() request: Request | undefined, @Ctx() context: RmqContext): Promise<Result> {
    const sentAt = typeof request?.sentAt === 'number' ? request.sentAt : Date.now();
    return ackWhenDone(context, () => this.queryBus.execute(new PingQuery(sentAt)));
  }
}
