import { ConfigService } from '@nestjs/config';
import { RmqContext, RmqOptions } from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { deviceCommandQueue, deviceCommandQueueOptions } from '@app/common/device-command';
import { BrokerConnectionSettings, parseAmqpUrls, rmqTransportOptions } from '@app/common/nest';
import { loadServiceTls } from '@app/pki';
import * as path from 'node:path';
import { DeviceCommandConfig } from './config/device-command.config';

export function brokerSettings(config: ConfigService<DeviceCommandConfig, true>): BrokerConnectionSettings {
  return {
    host: config.get('AMQP_HOST', { infer: true }),
    port: config.get('AMQP_PORT', { infer: true }),
    endpoints: parseAmqpUrls(config.get('AMQP_URLS', { infer: true })),
    ...loadServiceTls(path.resolve(config.get('CERTS_DIR', { infer: true })), 'device-command'),
  };
}

/**
 * One RabbitMQ (AMQPS) transport per shard queue, from validated config. Each
 * shard queue has a single active consumer, so a device belongs to one replica
 * at a time. main.ts and the e2e tests both use this.
 */
export function shardTransports(config: ConfigService<DeviceCommandConfig, true>): RmqOptions[] {
  const settings = brokerSettings(config);
  const shards = config.get('DEVICE_COMMAND_SHARDS', { infer: true });
  return Array.from({ length: shards }, (_, shard) =>
    rmqTransportOptions(settings, deviceCommandQueue(shard), {
      queueOptions: deviceCommandQueueOptions(config.get('DEVICE_COMMAND_QUEUE_TYPE', { infer: true })),
      // Acked by the handlers once the work is done.
      noAck: false,
      prefetchCount: config.get('DEVICE_COMMAND_PREFETCH', { infer: true }),
    }),
  );
}

/**
 * Runs a message handler's work and acks its message once the work is done,
 * whatever the outcome (the transports run with `noAck: false`): if this replica
 * dies first, the shard's next consumer gets the message.
 */
export async function ackWhenDone<T>(context: RmqContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    try {
      // Nest types the channel and message as `any`; they are amqplib's.
      (context.getChannelRef() as Channel).ack(context.getMessage() as Message);
    } catch {
      // Its channel closed meanwhile (a lost broker node): the broker has given the message to the
      // shard's next consumer already, and there is nothing left to ack. The work's outcome still
      // goes back to the caller, rather than this error.
    }
  }
}
