import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AmqpConnectionManager } from 'amqp-connection-manager';
import { BrokerAuthModule } from '../broker-auth/broker-auth.module';
import { BrokerConnections } from '../broker-auth/broker-connections';
import { GatewayConfig } from '../config/gateway.config';
import { DEVICE_REPOSITORY, DeviceRepository } from '../devices/database/device.repository.port';
import { DevicesModule } from '../devices/devices.module';
import { EVENTS_CONNECTION, EventsModule } from '../events/events.module';
import { PlatformEventBus } from '../events/platform-event.bus';
import { PRESENCE_REPOSITORY, PresenceRepository } from './database/presence.repository.port';
import { NoteDeviceSeenHandler } from './events/note-device-seen.handler';
import { PresenceStoreModule } from './presence-store.module';
import { PresenceTracker } from './presence.tracker';

/** Device presence, taken from the broker's connection events. */
@Module({
  imports: [DevicesModule, BrokerAuthModule, EventsModule, PresenceStoreModule],
  providers: [
    {
      provide: PresenceTracker,
      inject: [
        EVENTS_CONNECTION,
        ConfigService,
        PRESENCE_REPOSITORY,
        DEVICE_REPOSITORY,
        BrokerConnections,
        PlatformEventBus,
      ],
      useFactory: (
        connection: AmqpConnectionManager,
        config: ConfigService<GatewayConfig, true>,
        presence: PresenceRepository,
        devices: DeviceRepository,
        brokerConnections: BrokerConnections,
        events: PlatformEventBus,
      ) =>
        new PresenceTracker(
          connection,
          { mqttPort: config.get('MQTT_PORT', { infer: true }) },
          presence,
          devices,
          brokerConnections,
          events,
        ),
    },
    NoteDeviceSeenHandler,
  ],
})
export class PresenceModule {}
