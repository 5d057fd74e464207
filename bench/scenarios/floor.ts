/**
 * floor: what the broker and TLS alone cost, measured next to the platform in the same
 * run. A bare relay moves the same four TLS broker messages as one platform call
 * (client → relay over AMQP, relay → device over MQTT, and back), with no HTTP, no
 * Nest and no database: the client and the relay are plain amqplib connections with
 * the gateway's and device-command's broker accounts, the devices the same simulator
 * fleet as the other scenarios. The bench reports the platform's latency and throughput
 * as ratios to it (`vsFloor`).
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import * as amqplib from 'amqplib';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BrokerConnectionSettings, amqpsUrls, parseAmqpUrls, tlsSocketOptions } from '@app/common/nest';
import { DEVICE_EXCHANGE, parseReplyRoutingKey, requestRoutingKey } from '@app/device-protocol';
import { loadServiceTls } from '@app/pki';
import { summarize } from '../http';
import { progress } from '../progress';
import { ROOT } from '../stack';
import type { Scenario } from './types';

const BODY = Buffer.from(JSON.stringify({ number: 3 }));
const CALL_TIMEOUT_MS = 10_000;

function settings(service: 'api-gateway' | 'device-command'): BrokerConnectionSettings {
  return {
    host: process.env.AMQP_HOST ?? 'localhost',
    port: Number(process.env.AMQP_PORT ?? 5671),
    endpoints: parseAmqpUrls(process.env.AMQP_URLS),
    ...loadServiceTls(path.join(ROOT, process.env.CERTS_DIR ?? 'certs'), service),
  };
}

async function open(service: 'api-gateway' | 'device-command'): Promise<ChannelModel> {
  const s = settings(service);
  const connection = await amqplib.connect(amqpsUrls(s)[0], tlsSocketOptions(s));
  // An 'error' nobody listens to would crash the bench (the broker stopping mid-run): the calls
  // out then time out and are counted.
  connection.on('error', (error: Error) => progress(`floor: ${service}'s broker connection: ${error.message}`));
  return connection;
}

/** A channel whose errors are told, not thrown (see open). */
async function channelOf(connection: ChannelModel, name: string): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', (error: Error) => progress(`floor: ${name} channel: ${error.message}`));
  return channel;
}

/** device-command without Nest, dispatcher or validation: one request in flight per device, FIFO. */
class BareRelay {
  private channel?: Channel;
  readonly queue = `device-command.floor-${randomBytes(4).toString('hex')}`;
  private readonly inFlight = new Map<string, ConsumeMessage>();
  private readonly waiting = new Map<string, ConsumeMessage[]>();

  constructor(private readonly connection: ChannelModel) {}

  async start(): Promise<void> {
    const ch = await channelOf(this.connection, 'relay');
    this.channel = ch;
    await ch.assertQueue(this.queue, { exclusive: true });
    const { queue: replies } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(replies, DEVICE_EXCHANGE, 'server.#');
    await ch.consume(replies, (m) => m && this.fromDevice(m), { noAck: true });
    await ch.consume(this.queue, (m) => m && this.fromClient(m), { noAck: true });
  }

  private fromClient(request: ConsumeMessage): void {
    const deviceId = String(request.properties.headers?.deviceId);
    if (this.inFlight.has(deviceId)) {
      const queue = this.waiting.get(deviceId) ?? [];
      queue.push(request);
      this.waiting.set(deviceId, queue);
      return;
    }
    this.send(deviceId, request);
  }

  private send(deviceId: string, request: ConsumeMessage): void {
    this.inFlight.set(deviceId, request);
    this.channel?.publish(DEVICE_EXCHANGE, requestRoutingKey(deviceId, 'get_gpio'), request.content);
  }

  private fromDevice(reply: ConsumeMessage): void {
    const address = parseReplyRoutingKey(reply.fields.routingKey);
    const request = address && this.inFlight.get(address.deviceId);
    if (!address || !request) return;
    this.inFlight.delete(address.deviceId);
    this.channel?.publish('', String(request.properties.replyTo), reply.content, {
      correlationId: request.properties.correlationId as string,
    });
    const next = this.waiting.get(address.deviceId)?.shift();
    if (next) this.send(address.deviceId, next);
  }
}

/** The gateway's side without HTTP: direct reply-to, one connection, any number of calls in flight. */
class BareClient {
  private channel?: Channel;
  private next = 0;
  private readonly pending = new Map<string, (ok: boolean) => void>();

  constructor(
    private readonly connection: ChannelModel,
    private readonly queue: string,
  ) {}

  async start(): Promise<void> {
    const ch = await channelOf(this.connection, 'client');
    this.channel = ch;
    await ch.consume(
      'amq.rabbitmq.reply-to',
      (m) => {
        const id = m?.properties.correlationId as string | undefined;
        const done = id === undefined ? undefined : this.pending.get(id);
        if (!id || !done) return;
        this.pending.delete(id);
        done(true);
      },
      { noAck: true },
    );
  }

  /** Resolves the round trip in ms, or undefined when no answer came within CALL_TIMEOUT_MS. */
  call(deviceId: string): Promise<number | undefined> {
    const id = (this.next++).toString(36);
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, CALL_TIMEOUT_MS);
      this.pending.set(id, () => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      });
      this.channel?.publish('', this.queue, BODY, {
        replyTo: 'amq.rabbitmq.reply-to',
        correlationId: id,
        headers: { deviceId },
      });
    });
  }
}

export const floorScenario: Scenario = {
  name: 'floor',
  summary: 'the same four TLS broker messages as one call, through a bare relay (no HTTP, Nest or database)',
  flags: [
    { name: 'calls', description: 'sequential calls measured', default: 2000, smoke: 20, min: 1, integer: true },
    { name: 'warmup', description: 'calls before measuring', default: 200, smoke: 5, min: 0, integer: true },
    {
      name: 'clients',
      description: 'calls in flight (the throughput scenario`s clients)',
      default: 200,
      smoke: 4,
      min: 1,
      integer: true,
    },
    { name: 'devices', description: 'simulated devices', default: 200, smoke: 4, min: 1, integer: true },
    { name: 'seconds', description: 'measured time', default: 20, smoke: 2, min: 0.1, integer: false },
    { name: 'warmup-seconds', description: 'time before measuring', default: 5, smoke: 0.5, min: 0, integer: false },
  ],

  async run(context, sizes) {
    const { calls, warmup, clients, devices, seconds } = sizes;
    await context.pool.ensure(devices, context.signal);
    const ids = context.pool.deviceIds(devices);
    const { fleet } = await context.startFleet(devices);
    const relayConnection = await open('device-command');
    const clientConnection = await open('api-gateway');
    const problems: string[] = [];
    try {
      const relay = new BareRelay(relayConnection);
      await relay.start();
      const client = new BareClient(clientConnection, relay.queue);
      await client.start();

      progress(`floor: ${warmup} warm-up calls, then ${calls} sequential calls`);
      let timeouts = 0;
      for (let i = 0; i < warmup && !context.signal.aborted; i++) await client.call(ids[0]);
      const sequential: number[] = [];
      for (let i = 0; i < calls && !context.signal.aborted; i++) {
        const ms = await client.call(ids[0]);
        if (ms === undefined) timeouts += 1;
        else sequential.push(ms);
      }

      progress(
        `floor: ${clients} calls in flight over ${devices} devices, ${sizes['warmup-seconds']} s + ${seconds} s`,
      );
      const measureFrom = performance.now() + sizes['warmup-seconds'] * 1000;
      const endAt = measureFrom + seconds * 1000;
      let completed = 0;
      const loaded: number[] = [];
      await Promise.all(
        Array.from({ length: clients }, async (_, i) => {
          for (let k = 0; performance.now() < endAt && !context.signal.aborted; k++) {
            const started = performance.now();
            const ms = await client.call(ids[(i + k * clients) % devices]);
            const ended = performance.now();
            if (ended < measureFrom || ended > endAt) continue;
            if (ms === undefined) {
              timeouts += 1;
              continue;
            }
            completed += 1;
            if (started >= measureFrom) loaded.push(ms);
          }
        }),
      );
      if (context.signal.aborted) throw new Error('interrupted');
      if (timeouts > 0) problems.push(`floor: ${timeouts} call(s) got no answer within ${CALL_TIMEOUT_MS} ms`);
      const idle = summarize(sequential);
      const busy = summarize(loaded);
      return {
        metrics: {
          calls: idle.count,
          p50Ms: idle.p50,
          p90Ms: idle.p90,
          p99Ms: idle.p99,
          clients,
          devices,
          roundTripsPerSec: completed / seconds,
          'loaded.p50Ms': busy.p50,
          'loaded.p99Ms': busy.p99,
          timeouts,
        },
        problems,
      };
    } finally {
      await clientConnection.close().catch(() => undefined);
      await relayConnection.close().catch(() => undefined);
      await fleet.stop();
    }
  },
};
