import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import { Logger } from '@nestjs/common';
import { BrokerConnectionSettings, amqpsUrls, tlsSocketOptions } from './rmq-options';
import { logErrorsOfChannels } from './channel-errors';

/**
 * One AMQPS connection that reconnects by itself, with the broker's certificate
 * checked against our CA. Channels created on it re-run their setup on reconnect,
 * on the next node of a cluster when the one it was on is gone. Their errors are logged
 * (logErrorsOfChannels), never thrown.
 */
export function connectBroker(settings: BrokerConnectionSettings, name: string): AmqpConnectionManager {
  const connection = connect(amqpsUrls(settings), {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { ...tlsSocketOptions(settings), clientProperties: { connection_name: name } },
  });
  return logErrorsOfChannels(connection, new Logger(name));
}
