import { Query } from '@nestjs/cqrs';
import { PingResult } from '@app/common/device-command';

export class PingQuery extends Query<PingResult> {
  constructor(readonly sentAt: number) {
    super();
  }
}
