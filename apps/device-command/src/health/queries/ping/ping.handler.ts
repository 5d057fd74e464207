import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PingResult } from '@app/common/device-command';
import { randomUUID } from 'node:crypto';
import { PingQuery } from './ping.query';

/** Identifies this replica in ping answers, so operators can tell replicas apart. */
const INSTANCE_ID = randomUUID();

@QueryHandler(PingQuery)
export class PingHandler implements IQueryHandler<PingQuery> {
  execute({ sentAt }: PingQuery): Promise<PingResult> {
    return Promise.resolve({
      service: 'device-command',
      sentAt,
      instanceId: INSTANCE_ID,
      uptimeSeconds: Math.round(process.uptime()),
    });
  }
}
