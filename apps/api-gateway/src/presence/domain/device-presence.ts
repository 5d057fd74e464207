/** Whether a device is connected now, as the broker tells it. */
export interface DevicePresence {
  deviceId: string;
  ownerId: string;
  name: string;
  online: boolean;
  transport: 'mqtt' | 'amqp' | null;
  /** MQTT protocol level: 3 (3.1), 4 (3.1.1) or 5; null for AMQP or when unknown. */
  protocolLevel: number | null;
  /** The broker's name of the current connection; a close of any other one is stale. */
  connectionName: string | null;
  connectedAt: Date | null;
  /** Last connect, reply or disconnect. */
  lastSeenAt: Date | null;
  disconnectedAt: Date | null;
  disconnectReason: string | null;
}

export interface BrokerConnection {
  name: string;
  /** The deviceId the connection logged in as (parsed from the broker username). */
  user: string;
  transport: 'mqtt' | 'amqp';
  protocolLevel: number | null;
  at: Date;
}

const MQTT_LEVELS: Record<string, number> = { '3.1.0': 3, '3.1': 3, '3.1.1': 4, '5': 5, '5.0': 5, '5-0': 5 };

/**
 * The transport of a connection from the broker's `protocol` text: `{0,9,1}` is AMQP;
 * `{'MQTT',"3.1.1"}` (RabbitMQ 3.10) or `{'MQTT',{3,1,1}}` (4.0) is MQTT at that version;
 * `port` decides when the text says nothing we know.
 */
export function transportOf(
  protocol: string | undefined,
  port: number | undefined,
  mqttPort: number,
): Pick<BrokerConnection, 'transport' | 'protocolLevel'> {
  const mqtt = /mqtt/i.exec(protocol ?? '');
  if (mqtt) {
    // 3.10 prints the version as a string ("3.1.1"), 4.0 as a tuple ({3,1,1}).
    const version = (/mqtt[^0-9]*([0-9][0-9.,-]*[0-9]|[0-9])/i.exec(protocol ?? '')?.[1] ?? '').replace(/,/g, '.');
    return { transport: 'mqtt', protocolLevel: MQTT_LEVELS[version] ?? null };
  }
  if (protocol && /^\{0,9,1\}$|amqp/i.test(protocol)) return { transport: 'amqp', protocolLevel: null };
  return port === mqttPort ? { transport: 'mqtt', protocolLevel: null } : { transport: 'amqp', protocolLevel: null };
}

/**
 * An event header as text. The broker writes Erlang terms into the headers: a binary as a
 * string, a tuple such as `{'MQTT',"3.1.1"}` as its printed form (3.10) or as an array whose
 * items may be strings, byte buffers or character lists; all come out as `MQTT,3.1.1`-like text.
 */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => typeof item === 'number')) {
      return String.fromCharCode(...value);
    }
    return value.map((item) => headerText(item) ?? '').join(',');
  }
  return undefined;
}

/** The destination port of a connection name (`127.0.0.1:50466 -> 127.0.0.1:6171`). */
export function portOfConnectionName(name: string): number | undefined {
  const match = /:(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A device's new connection, as a presence change: its record goes online on it. */
export interface PresenceConnect {
  deviceId: string;
  ownerId: string;
  name: string;
  transport: 'mqtt' | 'amqp';
  protocolLevel: number | null;
  connectionName: string;
  at: Date;
}

/** A connection that closed, as a presence change: its device goes offline if it was its current one. */
export interface PresenceDisconnect {
  /** The closed connection (null only for a record that never named one). */
  connectionName: string | null;
  at: Date;
  reason: string | null;
}
