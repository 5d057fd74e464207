import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { EventStream, OpenedStream } from '../../event-stream';
import { StreamEventsQuery } from './stream-events.query';

@QueryHandler(StreamEventsQuery)
export class StreamEventsHandler implements IQueryHandler<StreamEventsQuery> {
  constructor(private readonly stream: EventStream) {}

  execute({ ownerId, lastEventId }: StreamEventsQuery): Promise<OpenedStream> {
    return Promise.resolve(this.stream.open(ownerId, lastEventId));
  }
}
