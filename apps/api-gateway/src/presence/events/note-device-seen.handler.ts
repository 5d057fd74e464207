import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { DeviceCommandCompletedEvent } from '../../device-control/domain/device-command-completed.event';
import { PresenceTracker } from '../presence.tracker';

/** A device that answered was seen: its lastSeenAt moves to the answer. */
@EventsHandler(DeviceCommandCompletedEvent)
export class NoteDeviceSeenHandler implements IEventHandler<DeviceCommandCompletedEvent> {
  constructor(private readonly tracker: PresenceTracker) {}

  handle(event: DeviceCommandCompletedEvent): void {
    if (event.deviceMs !== null) this.tracker.noteSeen(event.deviceId, event.answeredAt);
  }
}
