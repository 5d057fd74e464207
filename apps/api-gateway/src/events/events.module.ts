import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AmqpConnectionManager } from 'amqp-connection-manager';
import { connectBroker } from '@app/common/nest';
import { AuthModule } from '../auth/auth.module';
import { GatewayConfig } from '../config/gateway.config';
import { gatewayBrokerSettings } from '../infrastructure/gateway-broker-settings';
import { DomainEventsForwarder } from './domain-events.forwarder';
import { EventStream } from './event-stream';
import { PlatformEventBus } from './platform-event.bus';
import { StreamEventsHandler } from './queries/stream-events/stream-events.handler';
import { StreamEventsHttpController } from './queries/stream-events/stream-events.http.controller';

/** The gateway's second AMQPS connection: events and presence, apart from the device RPCs. */
export const EVENTS_CONNECTION = Symbol('EVENTS_CONNECTION');

/** Device events: fan-out over the broker, and `GET /events`. */
@Module({
  imports: [AuthModule],
  controllers: [StreamEventsHttpController],
  providers: [
    {
      provide: EVENTS_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>): AmqpConnectionManager =>
        connectBroker(gatewayBrokerSettings(config), 'api-gateway events'),
    },
    {
      provide: PlatformEventBus,
      inject: [EVENTS_CONNECTION],
      useFactory: (connection: AmqpConnectionManager) => new PlatformEventBus(connection),
    },
    EventStream,
    StreamEventsHandler,
    DomainEventsForwarder,
  ],
  exports: [EVENTS_CONNECTION, PlatformEventBus],
})
export class EventsModule {}
