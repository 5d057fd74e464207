import { AmqpConnectionManager } from 'amqp-connection-manager';
import { EventEmitter } from 'node:events';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { DeviceCommandPattern, RemoteDomainError, deviceCommandQueue, shardOf } from '@app/common/device-command';
import { DeviceCommandClient } from './device-command.client';

/** A connection whose broker never confirms a publish: an overloaded broker. */
function stalledConnection(connected = true): AmqpConnectionManager & EventEmitter {
  const channel = {
    sendToQueue: jest.fn(() => new Promise<boolean>(() => undefined)),
    waitForConnect: jest.fn(() => Promise.resolve()),
    close: jest.fn(() => Promise.resolve()),
  };
  return Object.assign(new EventEmitter(), {
    createChannel: jest.fn(() => channel),
    isConnected: () => connected,
    close: jest.fn(() => Promise.resolve()),
  }) as unknown as AmqpConnectionManager & EventEmitter;
}

describe('DeviceCommandClient', () => {
  it('answers DEVICE_COMMAND_UNAVAILABLE at once when the broker is not connected', async () => {
    const client = new DeviceCommandClient(stalledConnection(false), 8);
    await expect(client.request(DeviceCommandPattern.ping, { sentAt: 0 }, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
    });
  });

  it('times out on schedule while the publish is still unconfirmed, without an unhandled rejection', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
      const client = new DeviceCommandClient(stalledConnection(), 8);
      const call = client.request(DeviceCommandPattern.ping, { sentAt: 0 }, { timeoutMs: 50 });
      let settled = false;
      call.catch(() => (settled = true));
      await jest.advanceTimersByTimeAsync(49);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await expect(call).rejects.toMatchObject({ code: 'DEVICE_COMMAND_UNAVAILABLE' });
      jest.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
      await client.onModuleDestroy();
    } finally {
      jest.useRealTimers();
      process.off('unhandledRejection', unhandled);
    }
  });

  it('fails waiting requests at once when the broker connection drops, not at their timeout', async () => {
    const connection = stalledConnection();
    const client = new DeviceCommandClient(connection, 8);
    const answer = client.request(DeviceCommandPattern.ping, { sentAt: 0 }, { timeoutMs: 60_000 });
    connection.emit('disconnect', { err: new Error('connection closed') });
    await expect(answer).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
      message: expect.stringContaining('connection lost') as unknown,
    });
    await client.onModuleDestroy();
  });
});

/** A connected broker that records what the client publishes and lets a test answer it on direct reply-to. */
function answeringBroker() {
  const sent: { queue: string; body: { pattern: string; id: string }; options: Record<string, unknown> }[] = [];
  let publish: () => Promise<boolean> = () => Promise.resolve(true);
  let setup: ((ch: ConfirmChannel) => Promise<void>) | undefined;
  let onMessage: ((message: ConsumeMessage | null) => void) | undefined;
  const rawChannel = Object.assign(new EventEmitter(), {
    consume: jest.fn(async (_queue: string, callback: (message: ConsumeMessage | null) => void) => {
      onMessage = callback;
      return { consumerTag: 'c' };
    }),
  });
  const channel = {
    sendToQueue: jest.fn((queue: string, content: Buffer, options: Record<string, unknown>) => {
      sent.push({ queue, body: JSON.parse(content.toString()) as { pattern: string; id: string }, options });
      return publish();
    }),
    close: jest.fn(() => Promise.resolve()),
  };
  const connection = Object.assign(new EventEmitter(), {
    createChannel: jest.fn((options: { setup: (ch: ConfirmChannel) => Promise<void> }) => {
      setup = options.setup;
      return channel;
    }),
    isConnected: () => true,
    close: jest.fn(() => Promise.resolve()),
  }) as unknown as AmqpConnectionManager & EventEmitter & { createChannel: jest.Mock };
  return {
    connection,
    rawChannel,
    sent,
    setUp: () => setup!(rawChannel as unknown as ConfirmChannel),
    publishWith: (next: () => Promise<boolean>) => (publish = next),
    /** Delivers `content` on direct reply-to with `correlationId`. */
    answer: (correlationId: string | undefined, content: string) =>
      onMessage!({ properties: { correlationId }, content: Buffer.from(content) } as unknown as ConsumeMessage),
  };
}

describe('DeviceCommandClient answers', () => {
  const ping = { sentAt: 0 };

  async function started() {
    const broker = answeringBroker();
    const client = new DeviceCommandClient(broker.connection, 8);
    await broker.setUp();
    return { broker, client };
  }

  it("publishes to the device's shard, mandatory, expiring with the timeout, and listens on direct reply-to", async () => {
    const { broker, client } = await started();
    expect(broker.connection.createChannel).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'device-command-rpc', confirm: true, json: false }),
    );
    expect(broker.rawChannel.consume).toHaveBeenCalledWith('amq.rabbitmq.reply-to', expect.any(Function), {
      noAck: true,
    });
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 1500, shardKey: 'dev-7' });
    const [{ queue, body, options }] = broker.sent;
    expect(queue).toBe(deviceCommandQueue(shardOf('dev-7', 8)));
    expect(body).toEqual({ pattern: DeviceCommandPattern.ping, data: ping, id: options.correlationId });
    expect(options).toMatchObject({
      replyTo: 'amq.rabbitmq.reply-to',
      mandatory: true,
      expiration: '1500',
      contentType: 'application/json',
    });
    broker.answer(body.id, JSON.stringify({ id: body.id, response: { pong: 1 } }));
    await expect(call).resolves.toEqual({ pong: 1 });
    await client.onModuleDestroy();
  });

  it('rebuilds a domain error device-command answered with, code and kind intact', async () => {
    const { broker, client } = await started();
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 });
    const { id } = broker.sent[0].body;
    const err = { code: 'DEVICE_OFFLINE', kind: 'unavailable', message: 'The device is not connected' };
    broker.answer(id, JSON.stringify({ id, err }));
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteDomainError);
    expect(error).toMatchObject(err);
    await client.onModuleDestroy();
  });

  it.each([
    ['an error that is not a domain error', (id: string) => JSON.stringify({ id, err: 'boom' }), /failed: "boom"/],
    ['an unreadable answer', () => '{not json', /unreadable answer/],
  ])('turns %s into DEVICE_COMMAND_UNAVAILABLE', async (_, content, message) => {
    const { broker, client } = await started();
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 });
    const { id } = broker.sent[0].body;
    broker.answer(id, content(id));
    await expect(call).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
      message: expect.stringMatching(message) as unknown,
    });
    await client.onModuleDestroy();
  });

  it('ignores answers it is not waiting for, and a bare dispose, until the real answer comes', async () => {
    const { broker, client } = await started();
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 });
    const { id } = broker.sent[0].body;
    broker.answer(undefined, JSON.stringify({ response: 'no id' }));
    broker.answer('someone-else', JSON.stringify({ id: 'someone-else', response: 'not yours' }));
    broker.answer(id, JSON.stringify({ id, isDisposed: true }));
    // the first answer to settle the call wins: only this one may
    broker.answer(id, JSON.stringify({ id, err: null, response: 'null err is no error' }));
    await expect(call).resolves.toBe('null err is no error');
    await client.onModuleDestroy();
  });

  it('answers DEVICE_COMMAND_UNAVAILABLE when no replica consumes the shard (returned unroutable)', async () => {
    const { broker, client } = await started();
    let confirm: (ok: boolean) => void = () => undefined;
    broker.publishWith(() => new Promise<boolean>((resolve) => (confirm = resolve)));
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 });
    broker.rawChannel.emit('return', { properties: {} }); // no correlation id: nothing to mark
    broker.rawChannel.emit('return', { properties: { correlationId: broker.sent[0].body.id } });
    confirm(true);
    await expect(call).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
      message: expect.stringContaining('no device-command replica is running') as unknown,
    });
    await client.onModuleDestroy();
  });

  it('answers DEVICE_COMMAND_UNAVAILABLE when the broker refuses the publish', async () => {
    const { broker, client } = await started();
    broker.publishWith(() => Promise.reject(new Error('channel closed')));
    await expect(client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
      message: expect.stringContaining('broker refused the request (Error: channel closed)') as unknown,
    });
    await client.onModuleDestroy();
  });

  it('fails what still waits when the gateway shuts down', async () => {
    const { broker, client } = await started();
    const call = client.request(DeviceCommandPattern.ping, ping, { timeoutMs: 60_000 });
    await client.onModuleDestroy();
    await expect(call).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
      message: expect.stringContaining('gateway shutting down') as unknown,
    });
    expect(broker.connection.close).toHaveBeenCalled();
  });
});
