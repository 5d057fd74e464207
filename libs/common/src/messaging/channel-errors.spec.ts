import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import { EventEmitter } from 'node:events';
import { Transport } from '@nestjs/microservices';
import { RmqServer, logErrorsOfChannels, rmqServerStrategy } from './channel-errors';

/** A connection whose channels are bare event emitters, as ChannelWrapper is one. */
function fakeConnection() {
  const channels: EventEmitter[] = [];
  const connection = {
    createChannel: jest.fn(() => {
      const channel = Object.assign(new EventEmitter(), {
        name: 'test-channel',
        // Runs the setup on an amqplib channel at once, as a connected ChannelWrapper does.
        addSetup: jest.fn(async (setup: (raw: EventEmitter) => void) => setup(raw)),
      });
      channels.push(channel);
      return channel;
    }),
  };
  /** The amqplib channel beneath every wrapper. */
  const raw = new EventEmitter();
  return { connection: connection as unknown as AmqpConnectionManager, channels, raw };
}

describe('channel errors', () => {
  it('an unheard error event is thrown: what crashed jest, and would crash an app', () => {
    expect(() => new EventEmitter().emit('error', new Error('Channel ended, no reply will be forthcoming'))).toThrow(
      'Channel ended',
    );
  });

  it("logs a channel's error instead of throwing it, for every channel the connection creates", () => {
    const { connection, channels } = fakeConnection();
    const logger = { warn: jest.fn() };
    logErrorsOfChannels(connection, logger);
    connection.createChannel({ name: 'a' });
    connection.createChannel({ name: 'b' });
    for (const channel of channels) {
      expect(() =>
        channel.emit('error', new Error('Channel ended, no reply will be forthcoming'), { name: 'x' }),
      ).not.toThrow();
    }
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.warn).toHaveBeenCalledWith('broker channel x: Error: Channel ended, no reply will be forthcoming');
  });

  it("hears the amqplib channel's error beneath (the broker closing it), which would close the connection", () => {
    const { connection, raw } = fakeConnection();
    const logger = { warn: jest.fn() };
    logErrorsOfChannels(connection, logger).createChannel({ name: 'leases' });
    const closed = new Error('Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - queue \'q\'"');
    expect(() => raw.emit('error', closed)).not.toThrow();
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('closed: Error: Channel closed by server: 404'));
  });

  it("guards the channel of Nest's RabbitMQ server too", async () => {
    const server = new RmqServer({ urls: ['amqp://127.0.0.1:1'], queue: 'q' });
    const client = server.createClient<AmqpConnectionManager>();
    try {
      const channel: ChannelWrapper = client.createChannel({ name: 'nest' });
      expect(channel.listenerCount('error')).toBe(1);
      expect(() => channel.emit('error', new Error('Channel ended'), { name: 'nest' })).not.toThrow();
      await channel.close();
    } finally {
      await client.close();
    }
  });

  it('serves a transport of rmqTransportOptions with it', () => {
    const strategy = rmqServerStrategy({ transport: Transport.RMQ, options: { urls: ['amqp://127.0.0.1:1'] } });
    expect(strategy.strategy).toBeInstanceOf(RmqServer);
  });
});
