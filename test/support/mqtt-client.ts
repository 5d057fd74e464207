import { IClientOptions, MqttClient, connect } from 'mqtt';
import { CA_PEM } from './apps';

/** The broker's MQTT over TLS listener. */
export const MQTT_URL = `mqtts://localhost:${process.env.MQTT_PORT ?? 8883}`;

/**
 * Connects a bare MQTT 3.1.1 client over TLS (no reconnects), as `options` log in: resolves the
 * connected client, or rejects with why the broker refused.
 */
export function mqttConnect(options: Partial<IClientOptions>): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(MQTT_URL, {
      ca: CA_PEM,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    const fail = (error: Error) => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => resolve(client));
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}
