import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { AmqpDeviceLink } from './amqp-device-link';
import { shardOf } from '@app/common/device-command';
import { MAX_REPLIES_PER_DEVICE_PER_SECOND } from './reply-rate-limiter';
import { shardLeaseQueue } from './shard-leases';

const DEVICE_ID = '0123456789abcdef0123456789abcdef';

/** A connection whose one channel records what the link publishes and how it sets itself up. */
interface BrokerState {
  connected: boolean;
  unroutable: boolean;
  deliver: (routingKey: string, content: string, headers?: Record<string, unknown>) => void;
}

function fakeBroker() {
  const state: BrokerState = {
    connected: true,
    unroutable: false,
    deliver: () => {
      throw new Error('not consuming yet');
    },
  };
  const published: { exchange: string; routingKey: string; payload: Buffer; options: Record<string, unknown> }[] = [];
  /** In the order the channel got them: leases (sendToQueue) and requests (publish). */
  const order: string[] = [];
  const setups = new Map<string, (ch: ConfirmChannel) => Promise<void>>();
  const wrapper = {
    publish: jest.fn(
      async (exchange: string, routingKey: string, payload: Buffer, options: Record<string, unknown>) => {
        published.push({ exchange, routingKey, payload, options });
        order.push(routingKey);
        if (state.unroutable) channel.emit('return', { properties: { messageId: options.messageId } });
        return true;
      },
    ),
    sendToQueue: jest.fn(async (queue: string) => {
      order.push(queue);
      return true;
    }),
    close: jest.fn(async () => undefined),
  };
  const connection = {
    isConnected: jest.fn(() => state.connected),
    createChannel: jest.fn((options: { name: string; setup: (ch: ConfirmChannel) => Promise<void> }) => {
      setups.set(options.name, options.setup);
      return wrapper;
    }),
  };
  const channel = Object.assign(new EventEmitter(), {
    assertQueue: jest.fn(async () => ({ queue: 'amq.gen-replies' })),
    bindQueue: jest.fn(async () => undefined),
    consume: jest.fn(async (_queue: string, onMessage: (message: ConsumeMessage | null) => void) => {
      state.deliver = (routingKey: string, content: string, headers: Record<string, unknown> = {}) =>
        onMessage({
          fields: { routingKey },
          properties: { headers },
          content: Buffer.from(content),
        } as unknown as ConsumeMessage);
      return { consumerTag: 'c' };
    }),
  });
  return {
    state,
    published,
    order,
    channel,
    connection: connection as unknown as AmqpConnectionManager,
    deliver: (routingKey: string, content: string) => state.deliver(routingKey, content),
    runSetup: () => setups.get('device-link')!(channel as unknown as ConfirmChannel),
    runEventsSetup: () => setups.get('device-connections')!(channel as unknown as ConfirmChannel),
    event: (routingKey: string, headers: Record<string, unknown>) => state.deliver(routingKey, '', headers),
  };
}

describe('AmqpDeviceLink', () => {
  it('publishes a request to amq.topic as `{deviceId}.{api}`, mandatory, expiring with its timeout', async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    const payload = Buffer.from('{"number":3}');
    await expect(link.send(DEVICE_ID, 'get_gpio', payload, 1234.2, 'req-1')).resolves.toBe(true);
    expect(broker.published).toHaveLength(1);
    expect(broker.published[0]).toMatchObject({
      exchange: 'amq.topic',
      routingKey: `${DEVICE_ID}.get_gpio`,
      payload,
      options: { mandatory: true, expiration: '1235', contentType: 'application/json', correlationId: 'req-1' },
    });
  });

  it("puts this replica's lease on the device's shard first, on the same channel, at most once per 5 s", async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection, 8);
    await link.send(DEVICE_ID, 'get_status', Buffer.from('{}'), 100, 'req-1');
    await link.send(DEVICE_ID, 'get_status', Buffer.from('{}'), 100, 'req-2');
    const lease = shardLeaseQueue(shardOf(DEVICE_ID, 8));
    expect(broker.order).toEqual([lease, `${DEVICE_ID}.get_status`, `${DEVICE_ID}.get_status`]);
  });

  it('says false when the broker returns the request as unroutable (no device queue: offline)', async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    await broker.runSetup();
    broker.state.unroutable = true;
    await expect(link.send(DEVICE_ID, 'get_status', Buffer.from('{}'), 100, 'req-1')).resolves.toBe(false);
  });

  it('refuses to send without a broker connection', async () => {
    const broker = fakeBroker();
    broker.state.connected = false;
    await expect(
      new AmqpDeviceLink(broker.connection).send(DEVICE_ID, 'get_status', Buffer.from('{}'), 100, 'req-1'),
    ).rejects.toThrow(/not connected/);
    expect(broker.published).toHaveLength(0);
  });

  it("binds its reply queue to every device's replies and hands each reply to the listeners", async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    const replies: [string, string, string][] = [];
    link.onReply((deviceId, api, content) => replies.push([deviceId, api, content.toString()]));
    await broker.runSetup();
    expect(broker.channel.bindQueue).toHaveBeenCalledWith('amq.gen-replies', 'amq.topic', 'server.#');
    broker.deliver(`server.${DEVICE_ID}.get_gpio`, '{"number":3,"value":1}');
    broker.deliver('server.not-a-device.get_gpio', '{}');
    broker.deliver(`server.${DEVICE_ID}.no_such_api`, '{}');
    expect(replies).toEqual([[DEVICE_ID, 'get_gpio', '{"number":3,"value":1}']]);
  });

  it('uses one confirm channel of raw buffers and a private reply queue, read without acks', async () => {
    const broker = fakeBroker();
    new AmqpDeviceLink(broker.connection);
    expect(broker.connection.createChannel).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'device-link', confirm: true, json: false }),
    );
    await broker.runSetup();
    expect(broker.channel.assertQueue).toHaveBeenCalledWith('', { exclusive: true, autoDelete: true, durable: false });
    expect(broker.channel.consume).toHaveBeenCalledWith('amq.gen-replies', expect.any(Function), { noAck: true });
  });

  it('tells MQTT 5 devices where to answer, and a return without a messageId changes nothing', async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    await broker.runSetup();
    broker.channel.emit('return', { properties: {} });
    await expect(link.send(DEVICE_ID, 'get_status', Buffer.from('{}'), 100, 'req-1')).resolves.toBe(true);
    expect(broker.published[0].options.headers).toEqual({ 'x-reply-to-topic': `server.${DEVICE_ID}.get_status` });
  });

  it("drops a device's replies over its cap per second", async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    let delivered = 0;
    link.onReply(() => (delivered += 1));
    await broker.runSetup();
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const clock = jest.spyOn(Date, 'now').mockReturnValue(1_000_000); // one second for the whole flood
    for (let i = 0; i < MAX_REPLIES_PER_DEVICE_PER_SECOND + 50; i++)
      broker.deliver(`server.${DEVICE_ID}.get_status`, '{}');
    expect(delivered).toBe(MAX_REPLIES_PER_DEVICE_PER_SECOND);
    expect(warned).toHaveBeenCalledWith(expect.stringContaining(`device ${DEVICE_ID} sends more than`));
    warned.mockRestore();
    clock.mockRestore();
  });

  it("reports a device's connection opening and closing, from the broker's connection events", async () => {
    const broker = fakeBroker();
    const link = new AmqpDeviceLink(broker.connection);
    const changed: [string, string, boolean][] = [];
    link.onConnectionChange((deviceId, change, mqtt5) => changed.push([deviceId, change, mqtt5]));
    await broker.runEventsSetup();
    expect(broker.channel.bindQueue).toHaveBeenCalledWith(
      'amq.gen-replies',
      'amq.rabbitmq.event',
      'connection.created',
    );
    expect(broker.channel.bindQueue).toHaveBeenCalledWith('amq.gen-replies', 'amq.rabbitmq.event', 'connection.closed');
    broker.event('connection.created', {
      name: 'conn-1',
      user: Buffer.from(`CN=${DEVICE_ID}`),
      protocol: [Buffer.from('MQTT'), [3, 1, 1]],
    });
    broker.event('connection.created', { name: 'conn-2', user: 'CN=svc.api-gateway' }); // not a device
    broker.event('connection.closed', { name: 'conn-2' });
    broker.event('connection.closed', { name: 'conn-1' });
    broker.event('connection.closed', { name: 'conn-1' }); // told once only
    broker.event('connection.created', { name: 'conn-3', user: DEVICE_ID, protocol: ['MQTT', [5, 0]] });
    expect(changed).toEqual([
      [DEVICE_ID, 'opened', false],
      [DEVICE_ID, 'closed', false],
      [DEVICE_ID, 'opened', true],
    ]);
  });
});
