import { RmqOptions, Transport } from '@nestjs/microservices';
import { credentials } from 'amqplib';

export interface BrokerConnectionSettings {
  host: string;
  port: number;
  /** The nodes of a cluster, tried in turn on every (re)connect; when set, host/port are unused. */
  endpoints?: { host: string; port: number }[];
  /** PEM of the CA that signed the broker's certificate. */
  caPem: string;
  /** This service's TLS client certificate and key: its only credential (see tlsSocketOptions). */
  clientCertPem: string;
  clientKeyPem: string;
}

/**
 * The TLS options of every AMQPS connection our services open. A service logs in
 * with SASL EXTERNAL: the broker takes its account name from the certificate's
 * subject (`CN=svc.<service>`), and service accounts have no password, so a service account
 * cannot log in without its certificate (docs/security.md).
 */
export function tlsSocketOptions(settings: BrokerConnectionSettings) {
  return {
    ca: [settings.caPem],
    cert: settings.clientCertPem,
    key: settings.clientKeyPem,
    servername: settings.host,
    credentials: credentials.external(),
    // amqplib leaves Nagle on by default: with delayed ACKs that costs ~40 ms per request.
    noDelay: true,
  };
}

/** `amqps://` URL for amqp-connection-manager (no user info: the login is the certificate). */
export function amqpsUrl(
  settings: BrokerConnectionSettings,
  endpoint = { host: settings.host, port: settings.port },
): string {
  return `amqps://${endpoint.host}:${endpoint.port}`;
}

/** One URL per node; amqp-connection-manager moves to the next one when a connection is lost. */
export function amqpsUrls(settings: BrokerConnectionSettings): string[] {
  const endpoints = settings.endpoints?.length ? settings.endpoints : [{ host: settings.host, port: settings.port }];
  return endpoints.map((endpoint) => amqpsUrl(settings, endpoint));
}

/**
 * Options for Nest's RabbitMQ transport (client and server alike), over TLS
 * with the broker's certificate checked against our CA.
 */
export function rmqTransportOptions(
  settings: BrokerConnectionSettings,
  queue: string,
  extra: Partial<RmqOptions['options']> = {},
): RmqOptions {
  return {
    transport: Transport.RMQ,
    options: {
      urls: amqpsUrls(settings),
      queue,
      queueOptions: { durable: false },
      socketOptions: {
        heartbeatIntervalInSeconds: 10,
        reconnectTimeInSeconds: 1,
        connectionOptions: tlsSocketOptions(settings),
      },
      ...extra,
    },
  };
}
