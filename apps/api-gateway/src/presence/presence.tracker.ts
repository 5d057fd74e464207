import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { PlatformEvent, sortableId } from '@app/common';
import { BrokerConnections } from '../broker-auth/broker-connections';
import { parseBrokerUsername } from '../broker-auth/broker-identity';
import { DEVICE_REPOSITORY, DeviceRepository } from '../devices/database/device.repository.port';
import { PlatformEventBus } from '../events/platform-event.bus';
import { GatewayMetrics } from '../observability/gateway.metrics';
import { PRESENCE_REPOSITORY, PresenceRepository } from './database/presence.repository.port';
import {
  BrokerConnection,
  DevicePresence,
  PresenceDisconnect,
  headerText,
  portOfConnectionName,
  transportOf,
} from './domain/device-presence';

/** RabbitMQ's event exchange (plugin rabbitmq_event_exchange), the same name on 3.x and 4.x. */
export const BROKER_EVENT_EXCHANGE = 'amq.rabbitmq.event';
/** One queue for all gateway replicas, one active consumer at a time: each event is applied once, in order. */
export const PRESENCE_QUEUE = 'iotcloud.presence';
/** The general connection list trails new connections by about a statistics interval. */
const LIST_LAG_MS = 3000;
/** A second reconciliation after this, for connections the first list was too late to show. */
const SECOND_PASS_MS = 5000;
const SEEN_FLUSH_MS = 2000;

export interface PresenceSettings {
  /** PRESENCE: false leaves the broker's connection events unread (only to measure what presence costs). */
  enabled: boolean;
  mqttPort: number;
}

type Headers = Record<string, unknown>;
/** What a presence event names its device by. */
type Owned = Pick<DevicePresence, 'deviceId' | 'ownerId' | 'name'>;

/**
 * Device presence from the broker itself: connection.created/closed events of
 * rabbitmq_event_exchange, applied one at a time to the `device_presence`
 * collection, each change published as device.connected/disconnected. On every
 * (re)connection to the broker (so after a restart of the platform or of the
 * broker) it reconciles with the broker's own connection list, twice, so presence
 * converges within seconds even when events were lost meanwhile.
 */
@Injectable()
export class PresenceTracker implements OnApplicationShutdown {
  private readonly logger = new Logger(PresenceTracker.name);
  /** Undefined when presence is off. */
  private readonly channel?: ChannelWrapper;
  /** Serialises every presence write of this replica (events, reconciliation). */
  private queue: Promise<void> = Promise.resolve();
  /** Device of each current connection seen by this replica (connection.closed names no user). */
  private readonly connections = new Map<string, Owned>();
  private readonly seen = new Map<string, Date>();
  private readonly seenTimer?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    connection: AmqpConnectionManager,
    private readonly settings: PresenceSettings,
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly brokerConnections: BrokerConnections,
    private readonly events: PlatformEventBus,
    private readonly metrics?: Pick<GatewayMetrics, 'presenceChanges'>,
  ) {
    if (!settings.enabled) {
      this.logger.warn('presence is off (PRESENCE=false): devices keep the presence last recorded');
      return;
    }
    this.channel = connection.createChannel({
      name: 'presence',
      json: false,
      setup: (ch: ConfirmChannel) => this.setup(ch),
    });
    this.seenTimer = setInterval(() => this.flushSeen(), SEEN_FLUSH_MS);
    this.seenTimer.unref();
  }

  private async setup(ch: ConfirmChannel): Promise<void> {
    await ch.assertQueue(PRESENCE_QUEUE, {
      durable: false,
      autoDelete: true,
      arguments: { 'x-single-active-consumer': true },
    });
    await ch.bindQueue(PRESENCE_QUEUE, BROKER_EVENT_EXCHANGE, 'connection.created');
    await ch.bindQueue(PRESENCE_QUEUE, BROKER_EVENT_EXCHANGE, 'connection.closed');
    await ch.prefetch(200);
    await ch.consume(PRESENCE_QUEUE, (message) => message && this.receive(ch, message));
    // After the binding, so a connection is either in the list or in the queue.
    this.schedule(0);
    this.schedule(SECOND_PASS_MS);
  }

  private schedule(delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.enqueue(() => this.reconcile());
    }, delayMs);
    this.timers.add(timer);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(work).catch((error: unknown) => this.logger.warn(`presence: ${String(error)}`));
    return this.queue;
  }

  private receive(ch: ConfirmChannel, message: ConsumeMessage): void {
    const headers = (message.properties.headers ?? {}) as Headers;
    const key = message.fields.routingKey;
    void this.enqueue(async () => {
      try {
        if (key === 'connection.created') await this.created(headers);
        else if (key === 'connection.closed') await this.closed(headers);
      } finally {
        if (!this.stopped) ch.ack(message);
      }
    });
  }

  private async created(headers: Headers): Promise<void> {
    const user = headerText(headers.user) ?? '';
    const name = typeof headers.name === 'string' ? headers.name : '';
    const identity = parseBrokerUsername(user);
    if (!identity || !name) return; // a service account, or not ours
    const at = typeof headers.timestamp_in_ms === 'number' ? new Date(headers.timestamp_in_ms) : new Date();
    const port = typeof headers.port === 'number' ? headers.port : portOfConnectionName(name);
    const protocol = headerText(headers.protocol);
    await this.connected({
      name,
      user: identity.deviceId,
      at,
      ...transportOf(protocol, port, this.settings.mqttPort),
    });
  }

  private async connected(connection: BrokerConnection): Promise<void> {
    const device = await this.devices.findActiveById(connection.user);
    if (!device) return;
    const owned: Owned = { deviceId: device.deviceId, ownerId: device.ownerId, name: device.name };
    this.connections.set(connection.name, owned);
    const change = {
      ...owned,
      transport: connection.transport,
      protocolLevel: connection.protocolLevel,
      connectionName: connection.name,
      at: connection.at,
    };
    if (!(await this.presence.connect(change))) {
      // A reconciliation (from the connection list, which has no MQTT level) got there first:
      // complete the record from the event, without announcing the connection twice.
      if (connection.protocolLevel) await this.presence.completeTransport(change);
      return;
    }
    this.metrics?.presenceChanges.inc({ change: 'connected' });
    this.publish(owned, {
      type: 'device.connected',
      data: {
        transport: connection.transport,
        ...(connection.protocolLevel ? { protocolLevel: connection.protocolLevel } : {}),
        connectedAt: connection.at.toISOString(),
      },
    });
  }

  private async closed(headers: Headers): Promise<void> {
    const name = typeof headers.name === 'string' ? headers.name : '';
    if (!name) return;
    const at = typeof headers.timestamp_in_ms === 'number' ? new Date(headers.timestamp_in_ms) : new Date();
    const reason = typeof headers.reason === 'string' ? headers.reason : null;
    const device = this.connections.get(name);
    this.connections.delete(name);
    const change = { connectionName: name, at, reason };
    if (device) return this.disconnected(device, change);
    // It connected before this replica consumed the events: its device is found by the connection.
    const before = await this.presence.disconnectByConnection(change);
    if (before) this.announceDisconnect(before, change);
  }

  /** Offline, and announced, unless the device is already on another connection or offline. */
  private async disconnected(current: Owned, change: PresenceDisconnect): Promise<void> {
    if (await this.presence.disconnect(current.deviceId, change)) this.announceDisconnect(current, change);
  }

  private announceDisconnect(device: Owned, { at, reason }: PresenceDisconnect): void {
    this.metrics?.presenceChanges.inc({ change: 'disconnected' });
    this.publish(device, {
      type: 'device.disconnected',
      data: { disconnectedAt: at.toISOString(), ...(reason ? { reason } : {}) },
    });
  }

  /** Makes the records agree with the broker's connection list. */
  async reconcile(): Promise<void> {
    if (this.stopped) return;
    const listedAt = Date.now();
    // Device connections only, each with its deviceId (the broker username is the certificate's subject).
    const listed = (await this.brokerConnections.listConnections()).flatMap((c) => {
      const identity = parseBrokerUsername(c.user);
      return identity ? [{ name: c.name, user: identity.deviceId }] : [];
    });
    const byName = new Map(listed.map((c) => [c.name, c]));
    let changes = 0;
    for (const record of await this.presence.listOnline()) {
      if (record.connectionName && byName.has(record.connectionName)) {
        byName.delete(record.connectionName);
        continue;
      }
      // Too new for the list to show it: the next pass decides.
      if (record.connectedAt && record.connectedAt.getTime() > listedAt - LIST_LAG_MS) continue;
      const change = {
        connectionName: record.connectionName,
        at: new Date(),
        reason: 'not connected at reconciliation',
      };
      await this.disconnected(record, change);
      changes++;
    }
    for (const connection of byName.values()) {
      const port = portOfConnectionName(connection.name);
      await this.connected({
        name: connection.name,
        user: connection.user,
        at: new Date(),
        ...transportOf(undefined, port, this.settings.mqttPort),
      });
      changes++;
    }
    if (changes > 0) this.logger.log(`reconciled presence with the broker: ${changes} device(s) changed`);
  }

  /** A device answered: its lastSeenAt moves forward (written every few seconds, coalesced). */
  noteSeen(deviceId: string, at = new Date()): void {
    if (this.settings.enabled) this.seen.set(deviceId, at);
  }

  private flushSeen(): void {
    if (this.seen.size === 0) return;
    const batch = [...this.seen];
    this.seen.clear();
    void this.enqueue(async () => {
      for (const [deviceId, at] of batch) await this.presence.touch(deviceId, at);
    });
  }

  private publish(
    presence: Owned,
    event: Pick<PlatformEvent, 'type' | 'data'> & { type: 'device.connected' | 'device.disconnected' },
  ): void {
    this.events.publish({
      id: sortableId(),
      at: new Date().toISOString(),
      ownerId: presence.ownerId,
      deviceId: presence.deviceId,
      deviceName: presence.name,
      ...event,
    } as PlatformEvent);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.seenTimer);
    for (const timer of this.timers) clearTimeout(timer);
    await this.channel?.close().catch(() => undefined);
    await this.queue;
  }
}
