import { CustomStrategy, RmqOptions, ServerRMQ } from '@nestjs/microservices';
import type { AmqpConnectionManager, ChannelWrapper, CreateChannelOpts } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';

interface WarningLogger {
  warn(message: string): void;
}

/**
 * Logs a channel's errors instead of letting them crash the process. amqp-connection-manager's
 * ChannelWrapper emits 'error' when its setup fails, e.g. "Channel ended, no reply will be
 * forthcoming" when the broker goes away while it declares its queues, and an 'error' event
 * nobody listens to is thrown. Every ChannelWrapper our processes create goes through here.
 */
export function logChannelErrors(channel: ChannelWrapper, logger: WarningLogger): ChannelWrapper {
  channel.on('error', (error: unknown, info?: { name?: string }) => {
    logger.warn(`broker channel ${info?.name ?? channel.name ?? ''}: ${String(error)}`);
  });
  // The broker closing one channel (e.g. 404 on a queue whose node is down) is an 'error' on the
  // amqplib channel beneath; unheard, amqplib throws it and the whole connection closes, every
  // other channel on it too, again at each reconnect. Heard, only that channel closes.
  void channel.addSetup((raw: Channel) => {
    raw.on('error', (error: unknown) => logger.warn(`broker channel ${channel.name ?? ''} closed: ${String(error)}`));
  });
  return channel;
}

/** Makes every channel later created on `connection` log its errors (logChannelErrors). */
export function logErrorsOfChannels(connection: AmqpConnectionManager, logger: WarningLogger): AmqpConnectionManager {
  const createChannel = connection.createChannel.bind(connection);
  connection.createChannel = (options?: CreateChannelOpts) => logChannelErrors(createChannel(options), logger);
  return connection;
}

/**
 * Nest's RabbitMQ server, whose channel's errors are logged (logChannelErrors): Nest's own
 * listens to none, so a broker that stops while it sets its channel up would crash the process.
 */
export class RmqServer extends ServerRMQ {
  constructor(options: RmqOptions['options']) {
    super(options ?? {});
  }

  override createClient<T = AmqpConnectionManager>(): T {
    return logErrorsOfChannels(super.createClient<AmqpConnectionManager>(), this.logger) as T;
  }
}

/** A transport of rmqTransportOptions, served by RmqServer: for `app.connectMicroservice`. */
export function rmqServerStrategy(transport: RmqOptions): CustomStrategy {
  return { strategy: new RmqServer(transport.options) };
}
