import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import { BrokerConnectionSettings, amqpsUrls, tlsSocketOptions } from './rmq-options';

/**
 * One AMQPS connection that reconnects by itself, with the broker's certificate
 * checked against our CA. Channels created on it re-run their setup on reconnect,
 * on the next node of a cluster when the one it was on is gone.
 */
export function connectBroker(settings: BrokerConnectionSettings, name: string): AmqpConnectionManager {
  return connect(amqpsUrls(settings), {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { ...tlsSocketOptions(settings), clientProperties: { connection_name: name } },
  });
}
