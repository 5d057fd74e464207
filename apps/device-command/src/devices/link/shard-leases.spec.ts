import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, GetMessage } from 'amqplib';
import { Logger } from '@nestjs/common';
import { LEASE_RENEW_MS, LEASE_TTL_MS, LEASES_KEPT, ShardLeases, shardLeaseQueue } from './shard-leases';
import { TAKEOVER_WINDOW_MS } from './shard-takeovers';

/** Lease queues as the broker keeps them: messages a get takes out, and a nack-all puts back. */
function fakeBroker() {
  const queues = new Map<string, Buffer[]>();
  const taken: { queue: string; content: Buffer }[] = [];
  let setup: ((ch: Channel) => Promise<void>) | undefined;
  const reader = {
    waitForConnect: jest.fn(async () => undefined),
    get: jest.fn(async (queue: string): Promise<GetMessage | false> => {
      const content = queues.get(queue)?.shift();
      if (!content) return false;
      taken.push({ queue, content });
      return { content } as GetMessage;
    }),
    nackAll: jest.fn(() => {
      for (const { queue, content } of taken.splice(0).reverse()) queues.get(queue)?.unshift(content);
    }),
    close: jest.fn(async () => undefined),
  };
  const connection = {
    createChannel: jest.fn((options: { setup: (ch: Channel) => Promise<void> }) => {
      setup = options.setup;
      return reader;
    }),
  };
  const publisher = {
    sendToQueue: jest.fn(async (queue: string, content: Buffer) => {
      queues.set(queue, [...(queues.get(queue) ?? []), content]);
      return true;
    }),
  };
  return {
    queues,
    reader,
    connection: connection as unknown as AmqpConnectionManager,
    publisher: publisher as unknown as ChannelWrapper,
    sendToQueue: publisher.sendToQueue,
    runSetup: (ch: Partial<Channel>) => setup!(ch as Channel),
  };
}

describe('ShardLeases', () => {
  let now: number;
  let broker: ReturnType<typeof fakeBroker>;
  const leases = (replica: string) => new ShardLeases(broker.connection, 4, 'classic', replica, () => now);

  beforeEach(() => {
    now = 1_000_000;
    broker = fakeBroker();
  });

  it('keeps each lease past the takeover window of every request it covers', () => {
    expect(LEASE_TTL_MS).toBe(TAKEOVER_WINDOW_MS + LEASE_RENEW_MS);
    expect(LEASES_KEPT).toBeGreaterThan(2 * (LEASE_TTL_MS / LEASE_RENEW_MS + 1));
  });

  it('declares one durable lease queue per shard, expiring and capping its leases', async () => {
    leases('r1');
    const assertQueue = jest.fn(async () => ({}));
    await broker.runSetup({ assertQueue } as unknown as Partial<Channel>);
    expect(assertQueue.mock.calls.map((call: unknown[]) => call[0])).toEqual([0, 1, 2, 3].map(shardLeaseQueue));
    expect(assertQueue).toHaveBeenCalledWith('device-command.lease.2', {
      durable: true,
      arguments: { 'x-max-length': LEASES_KEPT, 'x-overflow': 'drop-head', 'x-message-ttl': LEASE_TTL_MS },
    });
  });

  it('renews a lease per shard at most once per LEASE_RENEW_MS', () => {
    const own = leases('r1');
    own.renew(broker.publisher, 1);
    own.renew(broker.publisher, 1);
    own.renew(broker.publisher, 2);
    now += LEASE_RENEW_MS - 1;
    own.renew(broker.publisher, 1);
    now += 1;
    own.renew(broker.publisher, 1);
    expect(broker.sendToQueue.mock.calls.map(([queue]) => queue)).toEqual([
      'device-command.lease.1',
      'device-command.lease.2',
      'device-command.lease.1',
    ]);
  });

  it("tells another replica's lease from its own, and puts every lease back for the next reader", async () => {
    const own = leases('r1');
    const other = leases('r2');
    await expect(own.heldByOthers(1)).resolves.toBe(false); // nobody sent anything: a fresh stack
    own.renew(broker.publisher, 1);
    await expect(own.heldByOthers(1)).resolves.toBe(false); // only its own
    await expect(other.heldByOthers(1)).resolves.toBe(true);
    other.renew(broker.publisher, 1);
    await expect(own.heldByOthers(1)).resolves.toBe(true); // behind its own lease
    expect(broker.queues.get('device-command.lease.1')).toHaveLength(2);
    await expect(own.heldByOthers(2)).resolves.toBe(false); // another shard
  });

  it('takes a lease it cannot read for another replica’s', async () => {
    broker.queues.set('device-command.lease.0', [Buffer.from('not json')]);
    await expect(leases('r1').heldByOthers(0)).resolves.toBe(true);
  });

  it('rejects when the broker cannot be asked, so that the caller fences', async () => {
    broker.reader.get.mockRejectedValueOnce(new Error('Not connected.'));
    await expect(leases('r1').heldByOthers(0)).rejects.toThrow('Not connected.');
    expect(broker.reader.nackAll).toHaveBeenCalledWith(true);
  });

  it('lets the next request try again when a lease could not be published', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const own = leases('r1');
    broker.sendToQueue.mockRejectedValueOnce(new Error('channel closed'));
    own.renew(broker.publisher, 1);
    await new Promise((resolve) => setImmediate(resolve));
    own.renew(broker.publisher, 1);
    expect(broker.sendToQueue).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not renew the lease on shard 1'));
    warn.mockRestore();
  });
});
