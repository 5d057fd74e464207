import { Controller } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { DeviceCommandPattern, PingRequest, PingResult } from '@app/common';
import { PingQuery } from './ping.query';
import { ackMessage } from '../../../transport.options';

@Controller()
export class PingMessageController {
  constructor(private readonly queryBus: QueryBus) {}

  @MessagePattern(DeviceCommandPattern.ping)
  async ping(@Payload() request: PingRequest | undefined, @Ctx() context: RmqContext): Promise<PingResult> {
    try {
      const sentAt = typeof request?.sentAt === 'number' ? request.sentAt : Date.now();
      return await this.queryBus.execute(new PingQuery(sentAt));
    } finally {
      ackMessage(context);
    }
  }
}
