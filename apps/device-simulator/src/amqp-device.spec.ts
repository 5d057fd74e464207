import { EventEmitter, once } from 'node:events';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { CertificateAuthority, createCertificateAuthority } from '@app/pki';
import { holdTimers } from '../test/held-timers';
import { TestDevice, createTestDevice } from '../test/test-pki';
import { AmqpConnect, AmqpDevice, AmqpDeviceOptions } from './amqp-device';
import { DeviceConnectError } from './connect-errors';
import { SimulatorLogger } from './logger';

jest.setTimeout(20_000);

/** Records every call in one shared log so tests can check the order (publish before ack, etc.). */
class FakeChannel extends EventEmitter {
  consumer?: (message: ConsumeMessage | null) => void;
  assertQueueError?: Error;
  closed = false;
  constructor(private readonly log: string[]) {
    super();
  }
  async assertQueue(queue: string, options: object): Promise<object> {
    this.log.push(`assertQueue ${queue} ${JSON.stringify(options)}`);
    if (this.assertQueueError) {
      this.closed = true;
      throw this.assertQueueError;
    }
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async checkQueue(queue: string): Promise<object> {
    this.log.push(`checkQueue ${queue}`);
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async bindQueue(queue: string, exchange: string, pattern: string): Promise<object> {
    this.log.push(`bindQueue ${queue} ${exchange} ${pattern}`);
    return {};
  }
  async prefetch(count: number): Promise<object> {
    this.log.push(`prefetch ${count}`);
    return {};
  }
  async consume(queue: string, fn: (message: ConsumeMessage | null) => void, options: object): Promise<object> {
    this.log.push(`consume ${queue} ${JSON.stringify(options)}`);
    this.consumer = fn;
    return { consumerTag: 'ctag' };
  }
  publish(exchange: string, routingKey: string, content: Buffer): boolean {
    if (this.closed) throw new Error('Channel closed');
    this.log.push(`publish ${exchange} ${routingKey} ${content.toString()}`);
    return true;
  }
  ack(message: ConsumeMessage): void {
    if (this.closed) throw new Error('Channel closed');
    this.log.push(`ack ${message.fields.deliveryTag}`);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.log.push('channel.close');
  }
}

class FakeModel extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  nextAssertQueueError?: Error;
  closed = false;
  constructor(private readonly log: string[]) {
    super();
  }
  async createChannel(): Promise<FakeChannel> {
    const channel = new FakeChannel(this.log);
    if (this.nextAssertQueueError) {
      channel.assertQueueError = this.nextAssertQueueError;
      this.nextAssertQueueError = undefined;
    }
    this.channels.push(channel);
    return channel;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.log.push('close');
    for (const channel of this.channels) channel.closed = true;
    this.emit('close');
  }
  /** The broker drops the connection. */
  lose(): void {
    this.closed = true;
    for (const channel of this.channels) channel.closed = true;
    this.emit('error', new Error('Connection closed: 320 (CONNECTION-FORCED)'));
    this.emit('close', new Error('Connection closed: 320 (CONNECTION-FORCED)'));
  }
  /** The consumer of the newest channel. */
  deliver(routingKey: string, body: string, deliveryTag: number): void {
    const channel = this.channels[this.channels.length - 1];
    channel.consumer?.({
      content: Buffer.from(body),
      fields: { routingKey, deliveryTag, exchange: 'amq.topic', redelivered: false, consumerTag: 'ctag' },
      properties: {},
    } as unknown as ConsumeMessage);
  }
}

class FakeBroker {
  readonly log: string[] = [];
  readonly models: FakeModel[] = [];
  readonly connectCalls: [object, Record<string, unknown>][] = [];
  failWith?: Error;
  prepare?: (model: FakeModel) => void;
  readonly connect: AmqpConnect = async (url, socketOptions) => {
    this.connectCalls.push([url, socketOptions as Record<string, unknown>]);
    this.log.push('connect');
    if (this.failWith) throw this.failWith;
    const model = new FakeModel(this.log);
    this.prepare?.(model);
    this.models.push(model);
    return model as unknown as ChannelModel;
  };
  get model(): FakeModel {
    return this.models[this.models.length - 1];
  }
}

let ca: CertificateAuthority;
let identity: TestDevice;
const running: AmqpDevice[] = [];

beforeAll(async () => {
  ca = await createCertificateAuthority();
  identity = await createTestDevice(ca);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((device) => device.stop()));
});

const quiet: SimulatorLogger = { info: () => undefined, warn: () => undefined };

function makeDevice(broker: FakeBroker, options: Partial<AmqpDeviceOptions> = {}): AmqpDevice {
  const device = new AmqpDevice({
    deviceId: identity.deviceId,
    certificatePem: identity.certificatePem,
    privateKeyPem: identity.privateKeyPem,
    caPem: ca.certificatePem,
    host: 'localhost',
    port: 5671,
    ip: '10.0.0.5',
    subnet: '255.255.255.0',
    gateway: '10.0.0.1',
    logger: quiet,
    restartDelayMs: 50,
    reconnectMinDelayMs: 20,
    amqpConnect: broker.connect,
    ...options,
  });
  running.push(device);
  return device;
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const id = (): string => identity.deviceId;
const queue = (): string => `mqtt-subscription-${id()}qos1`;
const published = (broker: FakeBroker): string[] => broker.log.filter((line) => line.startsWith('publish '));

describe('AmqpDevice: connecting', () => {
  it('logs in with EXTERNAL (certificate CN) over amqps, heartbeat 10, vhost /', async () => {
    const broker = new FakeBroker();
    await makeDevice(broker, { host: 'broker.example' }).start();
    const [url, socket] = broker.connectCalls[0];
    expect(url).toEqual({ protocol: 'amqps', hostname: 'broker.example', port: 5671, vhost: '/', heartbeat: 10 });
    expect(socket).toMatchObject({
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
      ca: ca.certificatePem,
      servername: 'broker.example',
      rejectUnauthorized: true,
    });
    const credentials = socket.credentials as { mechanism: string; response(): Buffer };
    expect(credentials.mechanism).toBe('EXTERNAL');
    expect(credentials.response()).toEqual(Buffer.alloc(0));
  });

  it('switches to PLAIN for a legacy username/password, and honours --insecure', () => {
    const [url, socket] = makeDevice(new FakeBroker(), {
      host: '127.0.0.1',
      username: 'legacy',
      password: 'pw',
      insecure: true,
    }).connectArguments();
    expect(url).toMatchObject({ hostname: '127.0.0.1' });
    expect(socket).not.toHaveProperty('servername'); // SNI cannot be an IP address
    expect(socket.rejectUnauthorized).toBe(false);
    const credentials = socket.credentials as { mechanism: string; response(): Buffer };
    expect(credentials.mechanism).toBe('PLAIN');
    expect(credentials.response().toString()).toBe('\0legacy\0pw');
  });

  it('declares, binds and consumes its queue with prefetch 1', async () => {
    const broker = new FakeBroker();
    await makeDevice(broker).start();
    expect(broker.log).toEqual([
      'connect',
      `assertQueue ${queue()} {"exclusive":true}`,
      `bindQueue ${queue()} amq.topic ${id()}.#`,
      'prefetch 1',
      `consume ${queue()} {"noAck":false}`,
    ]);
  });

  it('uses an existing queue when the declaration hits PRECONDITION_FAILED', async () => {
    const broker = new FakeBroker();
    broker.prepare = (model) => {
      model.nextAssertQueueError = new Error(
        `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'durable'"`,
      );
    };
    await makeDevice(broker).start();
    expect(broker.log.slice(1)).toEqual([
      `assertQueue ${queue()} {"exclusive":true}`,
      `checkQueue ${queue()}`,
      `bindQueue ${queue()} amq.topic ${id()}.#`,
      'prefetch 1',
      `consume ${queue()} {"noAck":false}`,
    ]);
  });

  it('start() rejects "connection refused: not authorized" on ACCESS_REFUSED, without retrying', async () => {
    const broker = new FakeBroker();
    broker.failWith = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL."',
    );
    const error = await makeDevice(broker)
      .start()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceConnectError);
    expect((error as DeviceConnectError).reason).toBe('not-authorized');
    expect((error as Error).message).toMatch(
      /^amqps:\/\/localhost:5671: connection refused: not authorized; certificate \(EXTERNAL\)/,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broker.connectCalls).toHaveLength(1);
  });

  it('a refused queue closes the connection and rejects', async () => {
    const broker = new FakeBroker();
    broker.prepare = (model) => {
      model.nextAssertQueueError = new Error(
        `Operation failed: QueueDeclare; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to queue '${queue()}' refused"`,
      );
    };
    await expect(makeDevice(broker).start()).rejects.toThrow(/connection refused: not authorized/);
    expect(broker.model.closed).toBe(true);
  });

  it('reconnects after losing the connection', async () => {
    const broker = new FakeBroker();
    const device = makeDevice(broker);
    await device.start();
    const disconnected = once(device, 'disconnect');
    broker.model.lose();
    const [event] = (await disconnected) as [{ restarting: boolean; error?: Error }];
    expect(event.restarting).toBe(false);
    expect(event.error?.message).toContain('CONNECTION-FORCED');
    await until(() => device.connected && broker.models.length === 2);
    broker.model.deliver(`${id()}.get_status`, '{}', 1);
    await until(() => published(broker).length === 1);
  });
});

describe('AmqpDevice: answering', () => {
  it('replies on amq.topic with server.{id}.{api}, then acks', async () => {
    const broker = new FakeBroker();
    const device = makeDevice(broker);
    await device.start();
    device.device.setGpio(18, 1);
    broker.model.deliver(`${id()}.get_gpio`, '{"number":18}', 7);
    await until(() => broker.log.includes('ack 7'));
    expect(broker.log.slice(-2)).toEqual([
      `publish amq.topic server.${id()}.get_gpio {"number":18,"value":1}`,
      'ack 7',
    ]);
  });

  it('answers in order, one at a time, each acked after its reply', async () => {
    const broker = new FakeBroker();
    await makeDevice(broker, { replyDelayMs: 30 }).start();
    broker.model.deliver(`${id()}.set_gpio`, '{"number":2,"value":1}', 1);
    broker.model.deliver(`${id()}.get_gpio`, '{"number":2}', 2);
    broker.model.deliver(`${id()}.get_status`, '{}', 3);
    await until(() => broker.log.includes('ack 3'));
    expect(broker.log.filter((line) => /^(publish|ack)/.test(line))).toEqual([
      `publish amq.topic server.${id()}.set_gpio {"number":2,"value":1}`,
      'ack 1',
      `publish amq.topic server.${id()}.get_gpio {"number":2,"value":1}`,
      'ack 2',
      `publish amq.topic server.${id()}.get_status {"status":"running"}`,
      'ack 3',
    ]);
  });

  it('acks, without replying, unknown apis, invalid requests and silent apis', async () => {
    const broker = new FakeBroker();
    await makeDevice(broker, { silentApis: ['get_rtc'] }).start();
    broker.model.deliver(`${id()}.reboot`, '{}', 1);
    broker.model.deliver(`server.${id()}.get_status`, '{}', 2);
    broker.model.deliver(`${id()}.set_gpio`, '{"number":1,"value":7}', 3);
    broker.model.deliver(`${id()}.get_rtc`, '{}', 4);
    broker.model.deliver(`${id()}.get_status`, '{}', 5);
    await until(() => broker.log.includes('ack 5'));
    expect(broker.log.filter((line) => line.startsWith('ack'))).toEqual(['ack 1', 'ack 2', 'ack 3', 'ack 4', 'ack 5']);
    expect(published(broker)).toEqual([`publish amq.topic server.${id()}.get_status {"status":"running"}`]);
  });

  it('bad and non-JSON replies', async () => {
    const broker = new FakeBroker();
    await makeDevice(broker, { badReplyApis: ['get_ip'], nonJsonReplyApis: ['get_mac'] }).start();
    broker.model.deliver(`${id()}.get_ip`, '{}', 1);
    broker.model.deliver(`${id()}.get_mac`, '{}', 2);
    await until(() => broker.log.includes('ack 2'));
    expect(published(broker)).toEqual([
      `publish amq.topic server.${id()}.get_ip {"value":"banana"}`,
      `publish amq.topic server.${id()}.get_mac not json`,
    ]);
  });

  it('set_status restart: reply, ack, close, wait, reconnect', async () => {
    const broker = new FakeBroker();
    const device = makeDevice(broker, { restartDelayMs: 4321 });
    await device.start();
    const restartDelay = holdTimers(4321);
    try {
      const restarting = once(device, 'disconnect');
      broker.model.deliver(`${id()}.set_status`, '{"status":"restart"}', 1);
      await restarting;
      // Closed, and not back until the restart delay has run, however slow the machine is.
      expect(restartDelay.held()).toBe(1);
      expect(broker.connectCalls).toHaveLength(1);
      restartDelay.release();
    } finally {
      restartDelay.restore();
    }
    await until(() => broker.connectCalls.length === 2 && device.connected);
    const tail = broker.log.slice(broker.log.indexOf(`consume ${queue()} {"noAck":false}`) + 1);
    expect(tail).toEqual([
      `publish amq.topic server.${id()}.set_status {"status":"restarting"}`,
      'ack 1',
      // The channel closes before the connection, so the reply is flushed first.
      'channel.close',
      'close',
      'connect',
      `assertQueue ${queue()} {"exclusive":true}`,
      `bindQueue ${queue()} amq.topic ${id()}.#`,
      'prefetch 1',
      `consume ${queue()} {"noAck":false}`,
    ]);
  });

  it('drops requests queued behind a restart (the connection they came on is gone)', async () => {
    const broker = new FakeBroker();
    const device = makeDevice(broker, { replyDelayMs: 20 });
    const drops: string[] = [];
    device.on('drop', (event) => drops.push(`${event.api} ${event.reason}`));
    await device.start();
    broker.model.deliver(`${id()}.set_status`, '{"status":"restart"}', 1);
    broker.model.deliver(`${id()}.get_status`, '{}', 2);
    await until(() => broker.connectCalls.length === 2 && device.connected);
    expect(published(broker)).toEqual([`publish amq.topic server.${id()}.set_status {"status":"restarting"}`]);
    expect(drops).toEqual(['get_status stale']);
  });

  it('stop() drops a delayed reply and closes', async () => {
    const broker = new FakeBroker();
    // An hour's delay: a stop() that waited for it would fail this test by its timeout.
    const device = makeDevice(broker, { replyDelayMs: 3_600_000 });
    await device.start();
    const received = once(device, 'request');
    broker.model.deliver(`${id()}.get_status`, '{}', 1);
    await received;
    await device.stop();
    expect(published(broker)).toEqual([]);
    expect(broker.model.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(broker.connectCalls).toHaveLength(1);
  });
});
