import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AmqpConnectionManager } from 'amqp-connection-manager';
import { connectBroker } from '@app/common/nest';
import { DeviceCommandConfig } from '../config/device-command.config';
import { BROKER_CONNECTION } from './broker-connection.token';
import { brokerSettings } from '../transport.options';
import { InvokeDeviceHandler } from './commands/invoke-device/invoke-device.handler';
import { InvokeDeviceMessageController } from './commands/invoke-device/invoke-device.message.controller';
import { AmqpDeviceLink } from './link/amqp-device-link';
import { DeviceDispatcher } from './link/device-dispatcher';
import { DEVICE_LINK } from './link/device-link.port';

@Module({
  controllers: [InvokeDeviceMessageController],
  providers: [
    {
      provide: BROKER_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<DeviceCommandConfig, true>) =>
        connectBroker(brokerSettings(config), 'device-command device-link'),
    },
    {
      provide: DEVICE_LINK,
      inject: [BROKER_CONNECTION, ConfigService],
      useFactory: (connection: AmqpConnectionManager, config: ConfigService<DeviceCommandConfig, true>) =>
        new AmqpDeviceLink(
          connection,
          config.get('DEVICE_COMMAND_SHARDS', { infer: true }),
          config.get('DEVICE_COMMAND_QUEUE_TYPE', { infer: true }),
        ),
    },
    {
      // Closes the broker connection after the link's channel, on shutdown.
      provide: 'BROKER_CONNECTION_CLOSER',
      inject: [BROKER_CONNECTION],
      useFactory: (connection: AmqpConnectionManager) => ({ onApplicationShutdown: () => connection.close() }),
    },
    DeviceDispatcher,
    InvokeDeviceHandler,
  ],
  exports: [BROKER_CONNECTION],
})
export class DevicesModule {}
