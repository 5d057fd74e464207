import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { BrokerConnections } from '../broker-auth/broker-connections';
import { DeviceRepository } from '../devices/database/device.repository.port';
import { PlatformEventBus } from '../events/platform-event.bus';
import { PresenceRepository } from './database/presence.repository.port';
import { PresenceTracker } from './presence.tracker';

describe('PresenceTracker switched off (PRESENCE=false)', () => {
  it('reads no broker event and writes nothing, so its cost can be measured against', async () => {
    const createChannel = jest.fn();
    const touch = jest.fn();
    const tracker = new PresenceTracker(
      { createChannel } as unknown as AmqpConnectionManager,
      { enabled: false, mqttPort: 8883 },
      { touch } as unknown as PresenceRepository,
      {} as DeviceRepository,
      {} as BrokerConnections,
      {} as PlatformEventBus,
    );
    tracker.noteSeen('d'.repeat(32));
    await tracker.onApplicationShutdown();

    expect(createChannel).not.toHaveBeenCalled();
    expect(touch).not.toHaveBeenCalled();
  });

  it('binds its queue to the broker events when on', async () => {
    const close = jest.fn().mockResolvedValue(undefined);
    const createChannel = jest.fn().mockReturnValue({ close });
    const tracker = new PresenceTracker(
      { createChannel } as unknown as AmqpConnectionManager,
      { enabled: true, mqttPort: 8883 },
      {} as PresenceRepository,
      {} as DeviceRepository,
      {} as BrokerConnections,
      {} as PlatformEventBus,
    );
    await tracker.onApplicationShutdown();

    expect(createChannel).toHaveBeenCalledWith(expect.objectContaining({ name: 'presence' }));
    expect(close).toHaveBeenCalled();
  });
});
