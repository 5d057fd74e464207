import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { sortableId } from '@app/common';
import { DeviceCommandCompletedEvent } from '../device-control/domain/device-command-completed.event';
import { DeviceRegisteredEvent } from '../devices/domain/device-registered.event';
import { DeviceUnregisteredEvent } from '../devices/domain/device-unregistered.event';
import { JobRecord } from '../jobs/domain/job';
import { JobFinishedEvent, JobProgressEvent } from '../jobs/domain/job.events';
import { PlatformEventBus } from './platform-event.bus';

type Forwarded =
  DeviceRegisteredEvent | DeviceUnregisteredEvent | DeviceCommandCompletedEvent | JobProgressEvent | JobFinishedEvent;

function jobData(job: JobRecord) {
  const done = Object.values(job.counts).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  return { jobId: job.jobId, api: job.api, state: job.state, total: job.total, done, counts: { ...job.counts } };
}

/** Turns the gateway's domain events into the platform events of `GET /events`. */
@EventsHandler(
  DeviceRegisteredEvent,
  DeviceUnregisteredEvent,
  DeviceCommandCompletedEvent,
  JobProgressEvent,
  JobFinishedEvent,
)
export class DomainEventsForwarder implements IEventHandler<Forwarded> {
  constructor(private readonly bus: PlatformEventBus) {}

  handle(event: Forwarded): void {
    const at = new Date().toISOString();
    const id = sortableId();
    if (event instanceof JobProgressEvent) {
      // The runner sends progress only once the job's devices are resolved: `total` is known.
      const data = { ...jobData(event.job), total: event.job.total ?? 0 };
      this.bus.publish({ id, at, type: 'job.progress', ownerId: event.job.ownerId, data });
      return;
    }
    if (event instanceof JobFinishedEvent) {
      const { job } = event;
      const state = job.state === 'cancelled' || job.state === 'aborted' ? job.state : 'completed';
      const finishedAt = (job.finishedAt ?? new Date()).toISOString();
      this.bus.publish({
        id,
        at,
        type: 'job.completed',
        ownerId: job.ownerId,
        data: { ...jobData(job), state, finishedAt, ...(job.error ? { error: job.error } : {}) },
      });
      return;
    }
    if (event instanceof DeviceCommandCompletedEvent) {
      this.bus.publish({
        id,
        at,
        type: 'command.completed',
        ownerId: event.userId,
        deviceId: event.deviceId,
        deviceName: event.deviceName,
        data: {
          commandId: event.commandId,
          api: event.api,
          outcome: event.outcome,
          latencyMs: event.totalMs,
          ...(event.jobId ? { jobId: event.jobId } : {}),
        },
      });
      return;
    }
    this.bus.publish({
      id,
      at,
      type: event instanceof DeviceRegisteredEvent ? 'device.registered' : 'device.unregistered',
      ownerId: event.ownerId,
      deviceId: event.deviceId,
      deviceName: event.name,
      data: {},
    });
  }
}
