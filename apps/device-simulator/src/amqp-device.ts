import { isIP } from 'node:net';
import * as amqplib from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import {
  DEVICE_EXCHANGE,
  DeviceApi,
  deviceBindingKey,
  deviceQueueName,
  parseRequestRoutingKey,
  replyRoutingKey,
} from '@app/device-protocol';
import { ConnectedDevice, DeviceOptions } from './connected-device';
import { DeviceConnectError, messageOf, socketConnectError } from './connect-errors';

export interface AmqpDeviceOptions extends DeviceOptions {
  /** AMQP heartbeat in seconds. Default 10. */
  heartbeatSeconds?: number;
  /** Default `/`. */
  vhost?: string;
  /** For tests: stands in for amqplib.connect. */
  amqpConnect?: AmqpConnect;
}

/** The amqplib connect function; replaceable in tests. */
export type AmqpConnect = (url: Options.Connect, socketOptions: object) => Promise<ChannelModel>;

interface Link {
  model: ChannelModel;
  channel?: Channel;
  closedByUs: boolean;
  lastError?: Error;
}

/**
 * A simulated FT900 board speaking AMQP 0-9-1 over TLS: logs in with the
 * EXTERNAL mechanism (identity = certificate CN), consumes its own queue
 * `mqtt-subscription-{deviceId}qos1` bound on `amq.topic` to `{deviceId}.#`
 * (the queue an MQTT device would use), prefetch 1, and publishes replies to
 * `amq.topic` with routing key `server.{deviceId}.{api}`, acking each request
 * once it is answered.
 */
export class AmqpDevice extends ConnectedDevice {
  private readonly heartbeatSeconds: number;
  private readonly vhost: string;
  private readonly amqpConnect: AmqpConnect;
  private link?: Link;

  constructor(options: AmqpDeviceOptions) {
    super(options);
    this.heartbeatSeconds = options.heartbeatSeconds ?? 10;
    this.vhost = options.vhost ?? '/';
    this.amqpConnect = options.amqpConnect ?? ((url, socketOptions) => amqplib.connect(url, socketOptions));
  }

  get url(): string {
    const { host, port } = this.endpoint();
    return `amqps://${host}:${port}`;
  }

  /** What is handed to amqplib.connect (exposed for tests). */
  connectArguments(): [Options.Connect, Record<string, unknown>] {
    const { host, port } = this.endpoint();
    const { certificatePem, privateKeyPem, caPem, username, password, insecure } = this.options;
    const legacy = username !== undefined || password !== undefined;
    const url: Options.Connect = {
      protocol: 'amqps',
      hostname: host,
      port,
      vhost: this.vhost,
      heartbeat: this.heartbeatSeconds,
    };
    const socketOptions: Record<string, unknown> = {
      cert: certificatePem,
      key: privateKeyPem,
      ca: caPem,
      rejectUnauthorized: insecure !== true,
      timeout: this.connectTimeoutMs,
      noDelay: true,
      credentials: legacy ? amqplib.credentials.plain(username ?? '', password ?? '') : amqplib.credentials.external(),
    };
    if (isIP(host) === 0) socketOptions.servername = host;
    return [url, socketOptions];
  }

  protected async openTransport(): Promise<void> {
    let model: ChannelModel;
    try {
      model = await this.amqpConnect(...this.connectArguments());
    } catch (error) {
      throw this.connectError(error);
    }
    const link: Link = { model, closedByUs: false };
    this.link = link;
    model.on('error', (error: Error) => {
      link.lastError = error;
    });
    model.on('close', (error?: Error) => {
      if (link.closedByUs || this.link !== link) return;
      this.link = undefined;
      this.transportLost(error ?? link.lastError);
    });
    try {
      const channel = await this.setUpChannel(link);
      link.channel = channel;
    } catch (error) {
      link.closedByUs = true;
      if (this.link === link) this.link = undefined;
      await model.close().catch(() => undefined);
      throw this.connectError(error);
    }
  }

  /** Declares (or finds) the queue, binds it, and starts consuming with prefetch 1. */
  private async setUpChannel(link: Link): Promise<Channel> {
    const queue = deviceQueueName(this.deviceId);
    let channel = await link.model.createChannel();
    channel.on('error', (error: Error) => {
      link.lastError = error;
    });
    try {
      // Exclusive: gone with this connection (RabbitMQ 4 deprecates shared non-durable queues).
      await channel.assertQueue(queue, { exclusive: true });
    } catch (error) {
      // PRECONDITION_FAILED: the queue exists with other arguments (e.g. the
      // MQTT plugin made it). The channel is closed now: use it as it is.
      if (!/PRECONDITION_FAILED|\b406\b/.test(messageOf(error))) throw error;
      channel = await link.model.createChannel();
      channel.on('error', (channelError: Error) => {
        link.lastError = channelError;
      });
      await channel.checkQueue(queue);
    }
    await channel.bindQueue(queue, DEVICE_EXCHANGE, deviceBindingKey(this.deviceId));
    await channel.prefetch(1);
    channel.on('close', () => {
      // A channel closed under us (queue deleted, permission revoked) means
      // no more requests: treat it like a lost connection.
      if (link.closedByUs || this.link !== link) return;
      this.link = undefined;
      link.closedByUs = true;
      void link.model.close().catch(() => undefined);
      this.transportLost(link.lastError ?? new Error('channel closed by the broker'));
    });
    const consumer = channel;
    await consumer.consume(queue, (message) => this.onMessage(link, consumer, message), { noAck: false });
    return consumer;
  }

  private onMessage(link: Link, channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted).
      if (link.closedByUs || this.link !== link) return;
      this.link = undefined;
      link.closedByUs = true;
      void link.model.close().catch(() => undefined);
      this.transportLost(new Error('the broker cancelled the consumer (queue deleted?)'));
      return;
    }
    const ack = (): void => channel.ack(message);
    const address = parseRequestRoutingKey(message.fields.routingKey);
    if (this.link !== link || !address || address.deviceId !== this.deviceId) {
      // Not a request for us (unknown api, foreign key): firmware ignores it.
      try {
        ack();
      } catch {
        // channel gone
      }
      return;
    }
    this.receive(address.api, message.content, ack);
  }

  protected async closeTransport(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    link.closedByUs = true;
    // Close the channel first: its CloseOk comes after every reply published on it, whereas
    // closing the connection straight away can overtake a reply still in amqplib's buffers
    // (the restart reply would be lost).
    await link.channel?.close().catch(() => undefined);
    await link.model.close().catch(() => undefined);
  }

  protected async sendReply(api: DeviceApi, body: Buffer): Promise<void> {
    const channel = this.link?.channel;
    if (!channel) throw new Error('not connected');
    channel.publish(DEVICE_EXCHANGE, replyRoutingKey(this.deviceId, api), body, {
      contentType: 'application/json',
      persistent: false,
    });
  }

  private connectError(error: unknown): DeviceConnectError {
    if (error instanceof DeviceConnectError) return error;
    const message = messageOf(error);
    if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(message)) {
      const login = this.options.username === undefined ? 'certificate (EXTERNAL)' : 'username/password (PLAIN)';
      return new DeviceConnectError(
        `${this.url}: connection refused: not authorized; ${login} login or permissions refused (${message})`,
        'not-authorized',
        error,
      );
    }
    if (/SASL mechanism EXTERNAL is not provided/.test(message)) {
      return new DeviceConnectError(
        `${this.url}: connection refused: not authorized; the broker does not offer certificate (EXTERNAL) login (${message})`,
        'not-authorized',
        error,
      );
    }
    if (/ETIMEDOUT/.test(message)) {
      return new DeviceConnectError(
        `${this.url}: connection timed out after ${this.connectTimeoutMs} ms`,
        'timeout',
        error,
      );
    }
    if (/Socket closed abruptly|Unexpected close/i.test(message)) {
      return new DeviceConnectError(
        `${this.url}: the broker closed the connection during the handshake (${message}); it may have rejected the client certificate`,
        'closed',
        error,
      );
    }
    return socketConnectError(this.url, error) ?? new DeviceConnectError(`${this.url}: ${message}`, 'other', error);
  }
}
