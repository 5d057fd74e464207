import { Injectable, Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { Observable, Subject } from 'rxjs';
import { PLATFORM_EVENT_TYPES, PlatformEvent } from '@app/common';

/** The platform's own exchange for device events (the gateway's broker namespace is `iotcloud.*`). */
export const EVENTS_EXCHANGE = 'iotcloud.events';
const TYPES: ReadonlySet<string> = new Set(PLATFORM_EVENT_TYPES);

/**
 * Fans device events out over the broker: any replica publishes to the
 * `iotcloud.events` topic exchange, and every replica receives every event on a
 * queue of its own. So a client streaming from any replica sees them all.
 * Publishing never blocks a request; with the broker down, events are dropped
 * (and counted), presence reconciles when it is back.
 */
@Injectable()
export class PlatformEventBus implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(PlatformEventBus.name);
  private readonly channel: ChannelWrapper;
  private readonly received = new Subject<PlatformEvent>();
  private droppedCount = 0;

  constructor(private readonly connection: AmqpConnectionManager) {
    this.channel = connection.createChannel({
      name: 'platform-events',
      json: false,
      confirm: false,
      setup: (ch: Channel) => this.setup(ch),
    });
  }

  /** Every event published by any replica, in the order this replica received them. */
  get events(): Observable<PlatformEvent> {
    return this.received.asObservable();
  }

  get dropped(): number {
    return this.droppedCount;
  }

  private async setup(ch: Channel): Promise<void> {
    await ch.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await ch.bindQueue(queue, EVENTS_EXCHANGE, '#');
    await ch.consume(queue, (message) => message && this.receive(message), { noAck: true });
  }

  publish(event: PlatformEvent): void {
    if (!this.connection.isConnected()) {
      this.drop(event, 'broker unreachable');
      return;
    }
    this.channel
      .publish(EVENTS_EXCHANGE, `${event.ownerId}.${event.type}`, Buffer.from(JSON.stringify(event)), {
        contentType: 'application/json',
      })
      .catch((error: unknown) => this.drop(event, String(error)));
  }

  private drop(event: PlatformEvent, why: string): void {
    this.droppedCount++;
    // One line per 100 drops: an outage must not flood the log.
    if (this.droppedCount % 100 === 1) {
      this.logger.warn(`event ${event.type} not published (${why}); ${this.droppedCount} dropped so far`);
    }
  }

  private receive(message: ConsumeMessage): void {
    try {
      const event = JSON.parse(message.content.toString('utf8')) as PlatformEvent;
      if (typeof event?.id !== 'string' || typeof event.ownerId !== 'string' || !TYPES.has(event.type)) {
        throw new Error('not a platform event');
      }
      this.received.next(event);
    } catch (error) {
      this.logger.warn(`ignored a malformed event: ${String(error)}`);
    }
  }

  /** Ends every open event stream before the HTTP server closes (it would wait for them). */
  onModuleDestroy(): void {
    this.received.complete();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
