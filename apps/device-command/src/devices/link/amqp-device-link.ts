import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import {
  DEVICE_EXCHANGE,
  DeviceApi,
  parseReplyRoutingKey,
  REPLY_BINDING_KEY,
  replyRoutingKey,
  requestRoutingKey,
} from '@app/device-protocol';
import { DeviceLink, ReplyListener } from './device-link.port';
import { ReplyRateLimiter } from './reply-rate-limiter';

/**
 * DeviceLink over RabbitMQ's amq.topic, where MQTT and AMQP devices look alike.
 * One confirm channel per replica: requests are published `mandatory` (an
 * unroutable request means no device queue exists: the device is offline), and
 * replies arrive on this replica's exclusive queue, bound once to every
 * device's replies. A per-device binding would cost a broker round trip on the
 * first command to each device (serialized on the channel: ~10 commands/s to
 * 10,000 new devices) and a binding per device forever; replies for devices
 * another replica serves are simply dropped by the dispatcher.
 */
@Injectable()
export class AmqpDeviceLink implements DeviceLink, OnModuleDestroy {
  private readonly logger = new Logger(AmqpDeviceLink.name);
  private readonly channel: ChannelWrapper;
  private readonly listeners: ReplyListener[] = [];
  /** messageIds the broker returned as unroutable, until their publish confirms. */
  private readonly returned = new Set<string>();
  private readonly replyRate = new ReplyRateLimiter(undefined, (deviceId, limit) =>
    this.logger.warn(
      `device ${deviceId} sends more than ${limit} replies a second: dropping the rest of this second's`,
    ),
  );

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
    await ch.bindQueue(queue, DEVICE_EXCHANGE, REPLY_BINDING_KEY);
    ch.on('return', (message: ConsumeMessage) => {
      const id = message.properties.messageId as string | undefined;
      if (id) this.returned.add(id);
    });
    await ch.consume(queue, (message) => message && this.receive(message), { noAck: true });
  }

  private receive(message: ConsumeMessage): void {
    const address = parseReplyRoutingKey(message.fields.routingKey);
    if (!address) return; // not a reply of a known API: nothing to deliver it to
    if (!this.replyRate.allow(address.deviceId)) return;
    const requestId = message.properties.correlationId as string | undefined;
    for (const listener of this.listeners) listener(address.deviceId, address.api, message.content, requestId);
  }

  onReply(listener: ReplyListener): void {
    this.listeners.push(listener);
  }

  async send(deviceId: string, api: DeviceApi, payload: Buffer, ttlMs: number, requestId: string): Promise<boolean> {
    if (!this.connection.isConnected()) throw new Error('not connected to the broker');
    const messageId = randomUUID();
    await this.channel.publish(DEVICE_EXCHANGE, requestRoutingKey(deviceId, api), payload, {
      mandatory: true,
      messageId,
      expiration: String(Math.max(1, Math.ceil(ttlMs))),
      contentType: 'application/json',
      // RabbitMQ's native MQTT (3.13+) hands these to MQTT 5 devices as Correlation Data and
      // Response Topic (the header holds the routing key; the broker turns it into the topic).
      correlationId: requestId,
      headers: { 'x-reply-to-topic': replyRoutingKey(deviceId, api) },
    });
    // basic.return precedes the publisher confirm on the same channel.
    return !this.returned.delete(messageId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.channel.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
  }
}
