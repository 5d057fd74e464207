import { Controller } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DeviceCommandPattern, PingRequest, PingResult } from '@app/common';
import { PingQuery } from './ping.query';

@Controller()
export class PingMessageController {
  constructor(private readonly queryBus: QueryBus) {}

  @MessagePattern(DeviceCommandPattern.ping)
  ping(@Payload() request: PingRequest | undefined): Promise<PingResult> {
    const sentAt = typeof request?.sentAt === 'number' ? request.sentAt : Date.now();
    return this.queryBus.execute(new PingQuery(sentAt));
  }
}
