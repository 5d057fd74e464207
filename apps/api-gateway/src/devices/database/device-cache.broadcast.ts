import { Logger, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

/**
 * The fanout exchange every gateway replica hears device-cache invalidations on.
 * Named under `iotcloud.`, which the gateway's broker permissions cover.
 */
export const DEVICE_CACHE_EXCHANGE = 'iotcloud.device-cache';

/** Which device's cached lookups to drop. */
export interface DeviceCacheInvalidation {
  ownerId: string;
  name: string;
  deviceId?: string;
}

/** How the replicas' device caches tell each other about registrations and revocations. */
export interface DeviceCacheBroadcast {
  publish(invalidation: DeviceCacheInvalidation): void;
  subscribe(listener: (invalidation: DeviceCacheInvalidation) => void): void;
}

function parse(content: Buffer): DeviceCacheInvalidation | null {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<DeviceCacheInvalidation>;
    if (typeof value.ownerId !== 'string' || typeof value.name !== 'string') return null;
    if (value.deviceId !== undefined && typeof value.deviceId !== 'string') return null;
    return { ownerId: value.ownerId, name: value.name, deviceId: value.deviceId };
  } catch {
    return null;
  }
}

/**
 * Over the broker: each replica binds its own server-named, exclusive queue to
 * the fanout exchange (re-done on every reconnect). Best effort: an
 * invalidation lost while the broker is down is covered by the cache's TTL.
 */
export class AmqpDeviceCacheBroadcast implements DeviceCacheBroadcast, OnModuleDestroy {
  private readonly logger = new Logger(AmqpDeviceCacheBroadcast.name);
  private readonly listeners: ((invalidation: DeviceCacheInvalidation) => void)[] = [];
  private readonly channel: ChannelWrapper;

  constructor(connection: AmqpConnectionManager) {
    this.channel = connection.createChannel({
      name: 'device-cache-broadcast',
      confirm: false,
      json: false,
      setup: async (ch: ConfirmChannel) => {
        await ch.assertExchange(DEVICE_CACHE_EXCHANGE, 'fanout', { durable: false });
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        await ch.bindQueue(queue, DEVICE_CACHE_EXCHANGE, '');
        await ch.consume(queue, (message) => message && this.receive(message), { noAck: true });
      },
    });
  }

  publish(invalidation: DeviceCacheInvalidation): void {
    this.channel
      .publish(DEVICE_CACHE_EXCHANGE, '', Buffer.from(JSON.stringify(invalidation)), {
        contentType: 'application/json',
        timeout: 1000,
      })
      .catch((error: unknown) =>
        this.logger.warn(
          `invalidation of ${invalidation.deviceId ?? invalidation.name} not broadcast: ${String(error)}`,
        ),
      );
  }

  subscribe(listener: (invalidation: DeviceCacheInvalidation) => void): void {
    this.listeners.push(listener);
  }

  private receive(message: ConsumeMessage): void {
    const invalidation = parse(message.content);
    if (!invalidation) return this.logger.warn('ignored a malformed device-cache invalidation');
    for (const listener of this.listeners) listener(invalidation);
  }

  async onModuleDestroy(): Promise<void> {
    await this.channel.close().catch(() => undefined);
  }
}
