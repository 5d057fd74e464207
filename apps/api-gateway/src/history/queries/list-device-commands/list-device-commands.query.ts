import { Query } from '@nestjs/cqrs';
import { CommandHistoryFilter, CommandRecord } from '../../domain/command-record';

export interface CommandPage {
  items: CommandRecord[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

/** One of the caller's devices' commands, newest first. */
export class ListDeviceCommandsQuery extends Query<CommandPage> {
  constructor(
    readonly ownerId: string,
    readonly name: string,
    readonly filter: CommandHistoryFilter,
  ) {
    super();
  }
}
