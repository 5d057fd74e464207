import { DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClientsModule } from '@nestjs/microservices';
import { DEVICE_COMMAND_QUEUE, rmqTransportOptions } from '@app/common';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GatewayConfig } from '../config/gateway.config';

export const DEVICE_COMMAND_CLIENT = Symbol('DEVICE_COMMAND_CLIENT');

/** The gateway's RabbitMQ (AMQPS) client to the device-command microservice. */
export const DeviceCommandClientModule: DynamicModule = ClientsModule.registerAsync({
  isGlobal: true,
  clients: [
    {
      name: DEVICE_COMMAND_CLIENT,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) =>
        rmqTransportOptions(
          {
            host: config.get('AMQP_HOST', { infer: true }),
            port: config.get('AMQP_PORT', { infer: true }),
            username: config.get('GATEWAY_AMQP_USER', { infer: true }),
            password: config.get('GATEWAY_AMQP_PASSWORD', { infer: true }),
            caPem: readFileSync(path.resolve(config.get('CERTS_DIR', { infer: true }), 'rootca.pem'), 'utf8'),
          },
          DEVICE_COMMAND_QUEUE,
        ),
    },
  ],
});
