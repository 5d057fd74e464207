import { ConfigService } from '@nestjs/config';
import { AsyncMicroserviceOptions, MicroserviceOptions } from '@nestjs/microservices';
import { DEVICE_COMMAND_QUEUE, rmqTransportOptions } from '@app/common';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DeviceCommandConfig } from './config/device-command.config';

/**
 * The RabbitMQ (AMQPS) transport, built from validated config. main.ts and the
 * e2e tests both use it, so tests run what operators run.
 */
export const transportOptions: AsyncMicroserviceOptions = {
  inject: [ConfigService],
  useFactory: (config: ConfigService<DeviceCommandConfig, true>): MicroserviceOptions =>
    rmqTransportOptions(
      {
        host: config.get('AMQP_HOST', { infer: true }),
        port: config.get('AMQP_PORT', { infer: true }),
        username: config.get('DEVICE_COMMAND_AMQP_USER', { infer: true }),
        password: config.get('DEVICE_COMMAND_AMQP_PASSWORD', { infer: true }),
        caPem: readFileSync(path.resolve(config.get('CERTS_DIR', { infer: true }), 'rootca.pem'), 'utf8'),
      },
      DEVICE_COMMAND_QUEUE,
      // Ack after the handler ran, so a crashed replica's messages go to another one.
      { noAck: false, prefetchCount: config.get('DEVICE_COMMAND_PREFETCH', { infer: true }) },
    ),
};
