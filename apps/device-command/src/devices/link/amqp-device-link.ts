import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_DEVICE_COMMAND_SHARDS, DeviceCommandQueueType, shardOf } from '@app/common/device-command';
import {
  DEVICE_EXCHANGE,
  DeviceApi,
  parseReplyRoutingKey,
  REPLY_BINDING_KEY,
  replyRoutingKey,
  requestRoutingKey,
} from '@app/device-protocol';
import { ConnectionListener, DeviceLink, ReplyListener } from './device-link.port';
import { deviceIdOfBrokerUser } from './broker-user';
import { ReplyRateLimiter } from './reply-rate-limiter';
import { ShardLeases } from './shard-leases';

/** RabbitMQ's event exchange (plugin rabbitmq_event_exchange): connection.created/closed. */
const BROKER_EVENT_EXCHANGE = 'amq.rabbitmq.event';

/**
 * An event header as text: the broker sends binaries as strings or byte buffers, and a tuple
 * such as the protocol (`{'MQTT',{5,0}}`) as an array of those or of character codes.
 */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) {
    const numbers = value.every((item) => typeof item === 'number');
    // A character list (printable codes), or a version tuple such as {5,0}.
    if (numbers && value.length > 0 && value.every((code: number) => code >= 32)) return String.fromCharCode(...value);
    if (numbers) return value.join('.');
    return value.map((item) => textOf(item) ?? String(item)).join(',');
  }
  return undefined;
}

/** An MQTT 5 connection (its replies echo request ids), from the event's protocol header. */
function isMqtt5(protocol: string | undefined): boolean {
  return /mqtt[^0-9]*5/i.test(protocol ?? '');
}

/**
 * DeviceLink over RabbitMQ's amq.topic, where MQTT and AMQP devices look alike.
 * One confirm channel per replica: requests are published `mandatory` (an
 * unroutable request means no device queue exists: the device is offline), and
 * replies arrive on this replica's exclusive queue, bound once to every
 * device's replies. A per-device binding would cost a broker round trip on the
 * first command to each device (serialized on the channel: ~10 commands/s to
 * 10,000 new devices) and a binding per device forever; replies for devices
 * another replica serves are simply dropped by the dispatcher. Before a request, on the same
 * channel, this replica's lease on the device's shard (ShardLeases): the next replica to take
 * the shard over reads it.
 */
@Injectable()
export class AmqpDeviceLink implements DeviceLink, OnModuleDestroy {
  private readonly logger = new Logger(AmqpDeviceLink.name);
  private readonly channel: ChannelWrapper;
  private readonly events: ChannelWrapper;
  private readonly listeners: ReplyListener[] = [];
  private readonly connectionListeners: ConnectionListener[] = [];
  /** Device of each connection opened since this replica started (connection.closed names no user). */
  private readonly connections = new Map<string, { deviceId: string; mqtt5: boolean }>();
  /** messageIds the broker returned as unroutable, until their publish confirms. */
  private readonly returned = new Set<string>();
  private readonly replyRate = new ReplyRateLimiter(undefined, (deviceId, limit) =>
    this.logger.warn(
      `device ${deviceId} sends more than ${limit} replies a second: dropping the rest of this second's`,
    ),
  );

  private readonly leases: ShardLeases;

  constructor(
    private readonly connection: AmqpConnectionManager,
    private readonly shards = DEFAULT_DEVICE_COMMAND_SHARDS,
    queueType: DeviceCommandQueueType = 'classic',
  ) {
    this.leases = new ShardLeases(connection, shards, queueType, randomBytes(6).toString('hex'));
    this.channel = connection.createChannel({
      name: 'device-link',
      confirm: true,
      json: false,
      setup: (ch: ConfirmChannel) => this.setup(ch),
    });
    // A channel of its own: should the broker refuse it (an account without the permission),
    // requests and replies go on.
    this.events = connection.createChannel({
      name: 'device-connections',
      json: false,
      setup: (ch: ConfirmChannel) => this.setupEvents(ch),
    });
  }

  private async setupEvents(ch: ConfirmChannel): Promise<void> {
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await ch.bindQueue(queue, BROKER_EVENT_EXCHANGE, 'connection.created');
    await ch.bindQueue(queue, BROKER_EVENT_EXCHANGE, 'connection.closed');
    await ch.consume(queue, (message) => message && this.connectionEvent(message), { noAck: true });
  }

  private connectionEvent(message: ConsumeMessage): void {
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const name = textOf(headers.name);
    if (!name) return;
    let connection: { deviceId: string; mqtt5: boolean } | undefined;
    const change = message.fields.routingKey === 'connection.created' ? 'opened' : 'closed';
    if (change === 'opened') {
      const deviceId = deviceIdOfBrokerUser(textOf(headers.user));
      if (deviceId) {
        connection = { deviceId, mqtt5: isMqtt5(textOf(headers.protocol)) };
        this.connections.set(name, connection);
      }
    } else {
      connection = this.connections.get(name);
      this.connections.delete(name);
    }
    if (!connection) return;
    for (const listener of this.connectionListeners) listener(connection.deviceId, change, connection.mqtt5);
  }

  onConnectionChange(listener: ConnectionListener): void {
    this.connectionListeners.push(listener);
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
    this.leases.renew(this.channel, shardOf(deviceId, this.shards)); // routed before the request
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

  otherReplicaSentLately(shard: number): Promise<boolean> {
    return this.leases.heldByOthers(shard);
  }

  async onModuleDestroy(): Promise<void> {
    await this.leases.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
    await this.events.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
    await this.channel.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
  }
}
