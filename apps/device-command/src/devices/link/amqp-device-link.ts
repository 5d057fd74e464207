import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { DEVICE_EXCHANGE, DeviceApi, deviceReplyBindingKey, parseReplyRoutingKey, requestRoutingKey } from '@app/device-protocol';
import { DeviceLink, ReplyListener } from './device-link.port';

/**
 * DeviceLink over RabbitMQ's amq.topic, where MQTT and AMQP devices look alike.
 * One confirm channel per replica: requests are published `mandatory` (an
 * unroutable request means no device queue exists: the device is offline), and
 * replies arrive on this replica's exclusive queue, bound once per device.
 */
@Injectable()
export class AmqpDeviceLink implements DeviceLink, OnModuleDestroy {
  private readonly logger = new Logger(AmqpDeviceLink.name);
  private readonly channel: ChannelWrapper;
  private readonly listeners: ReplyListener[] = [];
  /** Devices whose replies are bound to our queue (the promise of the bind). */
  private readonly watched = new Map<string, Promise<void>>();
  /** messageIds the broker returned as unroutable, until their publish confirms. */
  private readonly returned = new Set<string>();
  private replyQueue = '';

  constructor(private readonly connection: AmqpConnectionManager) {
    this.channel = connection.createChannel({
      name: 'device-link',
      confirm: true,
      json: false,
      setup: (ch: ConfirmChannel) => this.setup(ch),
    });
  }

  private async setup(ch: ConfirmChannel): Promise<void> {
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    this.replyQueue = queue;
    // After a reconnect the queue is new: bind every device we watch again.
    for (const deviceId of this.watched.keys()) {
      await ch.bindQueue(queue, DEVICE_EXCHANGE, deviceReplyBindingKey(deviceId));
    }
    ch.on('return', (message: ConsumeMessage) => {
      const id = message.properties.messageId as string | undefined;
      if (id) this.returned.add(id);
    });
    await ch.consume(queue, (message) => message && this.receive(message), { noAck: true });
  }

  private receive(message: ConsumeMessage): void {
    const address = parseReplyRoutingKey(message.fields.routingKey);
    if (!address) return; // not a reply of a known API: nothing to deliver it to
    for (const listener of this.listeners) listener(address.deviceId, address.api, message.content);
  }

  onReply(listener: ReplyListener): void {
    this.listeners.push(listener);
  }

  watch(deviceId: string): Promise<void> {
    let bound = this.watched.get(deviceId);
    if (!bound) {
      bound = this.channel
        .waitForConnect()
        .then(() => this.channel.bindQueue(this.replyQueue, DEVICE_EXCHANGE, deviceReplyBindingKey(deviceId)));
      bound.catch(() => this.watched.delete(deviceId)); // try again next time
      this.watched.set(deviceId, bound);
    }
    return bound;
  }

  async send(deviceId: string, api: DeviceApi, payload: Buffer, ttlMs: number): Promise<boolean> {
    if (!this.connection.isConnected()) throw new Error('not connected to the broker');
    const messageId = randomUUID();
    await this.channel.publish(DEVICE_EXCHANGE, requestRoutingKey(deviceId, api), payload, {
      mandatory: true,
      messageId,
      expiration: String(Math.max(1, Math.ceil(ttlMs))),
      contentType: 'application/json',
    });
    // basic.return precedes the publisher confirm on the same channel.
    return !this.returned.delete(messageId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.channel.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
  }
}
