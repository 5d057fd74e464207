import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { sortableId } from '@app/common';
import { DeviceCommandCompletedEvent } from '../device-control/domain/device-command-completed.event';
import { DeviceRegisteredEvent } from '../devices/domain/device-registered.event';
import { DeviceUnregisteredEvent } from '../devices/domain/device-unregistered.event';
import { PlatformEventBus } from './platform-event.bus';

type Forwarded = DeviceRegisteredEvent | DeviceUnregisteredEvent | DeviceCommandCompletedEvent;

/** Turns the gateway's domain events into the platform events of `GET /events`. */
@EventsHandler(DeviceRegisteredEvent, DeviceUnregisteredEvent, DeviceCommandCompletedEvent)
export class DomainEventsForwarder implements IEventHandler<Forwarded> {
  constructor(private readonly bus: PlatformEventBus) {}

  handle(event: Forwarded): void {
    const at = new Date().toISOString();
    const id = sortableId();
    if (event instanceof DeviceCommandCompletedEvent) {
      this.bus.publish({
        id,
        at,
        type: 'command.completed',
        ownerId: event.userId,
        deviceId: event.deviceId,
        deviceName: event.deviceName,
        data: { commandId: event.commandId, api: event.api, outcome: event.outcome, latencyMs: event.totalMs },
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
