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

/**
 * How long after a device was last heard from (a reply, a connection opening) a request that finds
 * it offline waits for it to come back, when the broker never said that its connection closed: a
 * broker node that dies says nothing about its connections, whose devices reconnect to another
 * node within moments. A device whose connection closed (it disconnected, or a live node cut it
 * off) is offline at once.
 */
export const RECONNECT_GRACE_MS = 30_000;
/** While a device is expected back, how often a request to it tries again without word of it. */
export const RETRY_OFFLINE_EVERY_MS = 250;
/**
 * A try this close to the request's deadline is not made: the request answers DEVICE_OFFLINE instead
 * (a device just back needs a fence, two round trips, before the request itself: no time left for it).
 */
const LAST_TRY_BEFORE_DEADLINE_MS = 500;
/** Devices whose presence is remembered at most (least recently heard from forgotten first). */
const PRESENCE_KEPT = 100_000;

/** What this replica last heard of a device. */
interface Presence {
  heardAt: number;
  /** The broker said its latest connection closed. */
  closed: boolean;
  /** Its latest connection's name, when this replica saw it open. */
  connection?: string;
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
  /** Devices heard from, least recently first (bounded): whether a lost one is expected back. */
  private readonly presence = new Map<string, Presence>();
  /** Requests waiting for their device's connection to change. */
  private readonly waiters = new Map<string, Set<() => void>>();
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
        this.heard(deviceId, name);
      }
    } else {
      connection = this.connections.get(name);
      this.connections.delete(name);
      const presence = connection && this.presence.get(connection.deviceId);
      // Not when an older connection closes after a newer one opened (a client id taken over).
      if (presence?.connection === name) presence.closed = true;
    }
    if (!connection) return;
    for (const listener of this.connectionListeners) listener(connection.deviceId, change, connection.mqtt5);
    // After the listeners: a request that waited for this change finds the dispatcher up to date.
    const waiting = this.waiters.get(connection.deviceId);
    this.waiters.delete(connection.deviceId);
    for (const wake of waiting ?? []) wake();
  }

  /** The device was heard from: a reply, or a connection (`connection`) opening. */
  private heard(deviceId: string, connection?: string): void {
    const previous = this.presence.get(deviceId);
    this.presence.delete(deviceId); // re-inserted last: the map stays ordered by last heard
    this.presence.set(deviceId, {
      heardAt: Date.now(),
      closed: connection === undefined ? (previous?.closed ?? false) : false,
      connection: connection ?? previous?.connection,
    });
    if (this.presence.size > PRESENCE_KEPT) this.presence.delete(this.presence.keys().next().value as string);
  }

  async returning(deviceId: string, deadline: number): Promise<boolean> {
    const presence = this.presence.get(deviceId);
    if (!presence || presence.closed || Date.now() - presence.heardAt > RECONNECT_GRACE_MS) return false;
    const wait = Math.min(RETRY_OFFLINE_EVERY_MS, deadline - LAST_TRY_BEFORE_DEADLINE_MS - Date.now());
    if (wait <= 0) return false;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        const set = this.waiters.get(deviceId);
        set?.delete(wake);
        if (set?.size === 0) this.waiters.delete(deviceId);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      let waiting = this.waiters.get(deviceId);
      if (!waiting) this.waiters.set(deviceId, (waiting = new Set()));
      waiting.add(wake);
    });
    // A close that came meanwhile (the device disconnected): offline now.
    return this.presence.get(deviceId)?.closed !== true && Date.now() < deadline - LAST_TRY_BEFORE_DEADLINE_MS;
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
    this.heard(address.deviceId);
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
    const published = this.channel.publish(DEVICE_EXCHANGE, requestRoutingKey(deviceId, api), payload, {
      mandatory: true,
      messageId,
      expiration: String(Math.max(1, Math.ceil(ttlMs))),
      contentType: 'application/json',
      // RabbitMQ's native MQTT (3.13+) hands these to MQTT 5 devices as Correlation Data and
      // Response Topic (the header holds the routing key; the broker turns it into the topic).
      correlationId: requestId,
      headers: { 'x-reply-to-topic': replyRoutingKey(deviceId, api) },
    });
    try {
      await published;
    } catch (error) {
      // A nack: the device's queue could not take it, as when it lives on a broker node that just
      // died (until the cluster drops that node's queues). The device is not reachable: offline.
      if (error instanceof Error && error.message === 'message nacked') {
        this.returned.delete(messageId);
        return false;
      }
      throw error;
    }
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
