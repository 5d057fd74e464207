import { Global, Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { randomInt, randomUUID } from 'node:crypto';
import {
  DeviceCommandMessagePattern,
  DeviceCommandRequest,
  DeviceCommandResult,
  DeviceCommandUnavailableError,
  RemoteDomainError,
  deviceCommandQueue,
  isSerializedDomainError,
  shardOf,
} from '@app/common/device-command';
import { REQUEST_ID_HEADER, currentRequest } from '@app/common';
import { connectBroker } from '@app/common/nest';
import { GatewayConfig } from '../config/gateway.config';
import { gatewayBrokerSettings } from './gateway-broker-settings';

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** What Nest's RabbitMQ server answers: `{id, response}` or `{id, err}`, possibly a separate `{isDisposed}`. */
interface ResponsePacket {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

/**
 * The gateway's RPC client to device-command, speaking the message format of
 * Nest's RabbitMQ transport (`{pattern, data, id}`) over one AMQPS connection:
 * requests go to the shard queue of their device, answers come back on
 * RabbitMQ's direct reply-to (no reply queue to declare), and the request
 * expires in the broker when the caller stops waiting.
 *
 * Fails fast with DEVICE_COMMAND_UNAVAILABLE when the broker is unreachable or
 * no device-command replica consumes the shard (the request is returned
 * unroutable), and after the timeout when a replica never answers.
 */
@Injectable()
export class DeviceCommandClient implements OnModuleDestroy {
  private readonly logger = new Logger(DeviceCommandClient.name);
  private readonly channel: ChannelWrapper;
  private readonly pending = new Map<string, Pending>();
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: AmqpConnectionManager,
    private readonly shards: number,
  ) {
    this.channel = connection.createChannel({
      name: 'device-command-rpc',
      confirm: true,
      json: false,
      setup: (ch: ConfirmChannel) => this.setup(ch),
    });
  }

  private async setup(ch: ConfirmChannel): Promise<void> {
    ch.on('return', (message: ConsumeMessage) => {
      const id = message.properties.correlationId as string | undefined;
      if (id) this.returned.add(id);
    });
    await ch.consume(REPLY_TO, (message) => message && this.receive(message), { noAck: true });
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** Waits for the broker connection, up to `timeoutMs`. */
  async connected(timeoutMs: number): Promise<void> {
    if (this.isConnected()) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.channel.waitForConnect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new DeviceCommandUnavailableError('broker unreachable')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `data` to `pattern` and resolves with the answer. `shardKey` (a
   * device id) picks the shard queue, so one device always reaches one replica.
   */
  async request<P extends DeviceCommandMessagePattern>(
    pattern: P,
    data: DeviceCommandRequest<P>,
    options: { timeoutMs: number; shardKey?: string },
  ): Promise<DeviceCommandResult<P>> {
    if (!this.isConnected()) throw new DeviceCommandUnavailableError('broker unreachable');
    const id = randomUUID();
    const shard = options.shardKey === undefined ? randomInt(this.shards) : shardOf(options.shardKey, this.shards);
    const answer = new Promise<DeviceCommandResult<P>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DeviceCommandUnavailableError(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      // The answer is device-command's, which is typed by the same contract.
      this.pending.set(id, { resolve: (value) => resolve(value as DeviceCommandResult<P>), reject, timer });
    });
    const requestId = currentRequest()?.requestId;
    // Not awaited: the caller waits on `answer` alone, so an unconfirmed publish (an
    // overloaded broker) cannot hold a request past its timeout.
    this.channel
      .sendToQueue(deviceCommandQueue(shard), Buffer.from(JSON.stringify({ pattern, data, id })), {
        replyTo: REPLY_TO,
        correlationId: id,
        mandatory: true,
        expiration: String(options.timeoutMs),
        contentType: 'application/json',
        // device-command logs under the same id, so one call can be followed across both apps.
        ...(requestId ? { headers: { [REQUEST_ID_HEADER]: requestId } } : {}),
      })
      .then(
        () => {
          // basic.return precedes the publisher confirm on the same channel.
          if (this.returned.delete(id)) {
            this.settle(id, undefined, new DeviceCommandUnavailableError('no device-command replica is running'));
          }
        },
        (error: unknown) =>
          this.settle(
            id,
            undefined,
            new DeviceCommandUnavailableError(`broker refused the request (${String(error)})`),
          ),
      );
    return answer;
  }

  private receive(message: ConsumeMessage): void {
    const id = message.properties.correlationId as string | undefined;
    if (!id || !this.pending.has(id)) return; // late: its caller gave up
    let packet: ResponsePacket;
    try {
      packet = JSON.parse(message.content.toString('utf8')) as ResponsePacket;
    } catch {
      this.settle(id, undefined, new DeviceCommandUnavailableError('unreadable answer from device-command'));
      return;
    }
    if (packet.err !== undefined && packet.err !== null) {
      const error = isSerializedDomainError(packet.err)
        ? new RemoteDomainError(packet.err)
        : new DeviceCommandUnavailableError(`device-command failed: ${JSON.stringify(packet.err)}`);
      this.settle(id, undefined, error);
    } else if ('response' in packet) {
      this.settle(id, packet.response);
    }
    // A bare `{isDisposed: true}` closes a stream we already settled.
  }

  private settle(id: string, value: unknown, error?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(value);
  }

  async onModuleDestroy(): Promise<void> {
    for (const [id] of this.pending)
      this.settle(id, undefined, new DeviceCommandUnavailableError('gateway shutting down'));
    await this.channel.close().catch((error: unknown) => this.logger.warn(`closing: ${String(error)}`));
    await this.connection.close();
  }
}

/** The gateway's one AMQPS connection (closed by DeviceCommandClient on shutdown). */
export const GATEWAY_BROKER_CONNECTION = Symbol('GATEWAY_BROKER_CONNECTION');

/** Provides the one DeviceCommandClient of the gateway, built from validated config, and its connection. */
@Global()
@Module({
  providers: [
    {
      provide: GATEWAY_BROKER_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<GatewayConfig, true>) =>
        connectBroker(gatewayBrokerSettings(config), 'api-gateway'),
    },
    {
      provide: DeviceCommandClient,
      inject: [GATEWAY_BROKER_CONNECTION, ConfigService],
      useFactory: (connection: AmqpConnectionManager, config: ConfigService<GatewayConfig, true>) =>
        new DeviceCommandClient(connection, config.get('DEVICE_COMMAND_SHARDS', { infer: true })),
    },
  ],
  exports: [DeviceCommandClient, GATEWAY_BROKER_CONNECTION],
})
export class DeviceCommandClientModule {}
