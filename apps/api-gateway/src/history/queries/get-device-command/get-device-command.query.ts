import { Query } from '@nestjs/cqrs';
import { CommandRecord } from '../../domain/command-record';

/** One command of one of the caller's devices, by its X-Command-Id. */
export class GetDeviceCommandQuery extends Query<CommandRecord> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    readonly commandId: string,
  ) {
    super();
  }
}
