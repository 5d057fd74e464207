import { AmqpConnectionManager, connect } from 'amqp-connection-manager';
import { BrokerConnectionSettings, amqpsUrl, tlsSocketOptions } from './rmq-options';

/**
 * One AMQPS connection that reconnects by itself, with the broker's certificate
 * checked against our CA. Channels created on it re-run their setup on reconnect.
 */
export function connectBroker(settings: BrokerConnectionSettings, name: string): AmqpConnectionManager {
  return connect([amqpsUrl(settings)], {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { ...tlsSocketOptions(settings), clientProperties: { connection_name: name } },
  });
}
