import { Query } from '@nestjs/cqrs';
import { OpenedStream } from '../../event-stream';

/** The caller's device events: a replay after `lastEventId`, then live. */
export class StreamEventsQuery extends Query<OpenedStream> {
  constructor(
    readonly ownerId: string,
    readonly lastEventId?: string,
  ) {
    super();
  }
}
