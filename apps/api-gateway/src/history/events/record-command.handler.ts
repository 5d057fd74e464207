import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { DeviceCommandCompletedEvent } from '../../device-control/domain/device-command-completed.event';
import { CommandHistoryRecorder } from '../command-history.recorder';

/** Every finished device command goes to its device's history. */
@EventsHandler(DeviceCommandCompletedEvent)
export class RecordCommandHandler implements IEventHandler<DeviceCommandCompletedEvent> {
  constructor(private readonly recorder: CommandHistoryRecorder) {}

  handle(event: DeviceCommandCompletedEvent): void {
    this.recorder.record({
      commandId: event.commandId,
      deviceId: event.deviceId,
      deviceName: event.deviceName,
      userId: event.userId,
      api: event.api,
      params: event.params,
      outcome: event.outcome,
      reply: event.reply,
      requestedAt: event.requestedAt,
      answeredAt: event.answeredAt,
      totalMs: event.totalMs,
      deviceMs: event.deviceMs,
      ...(event.jobId ? { jobId: event.jobId } : {}),
    });
  }
}
