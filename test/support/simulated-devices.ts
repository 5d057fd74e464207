import { AmqpDevice, ConnectedDevice, FaultOptions, MqttDevice, silentLogger } from '../../apps/device-simulator/src';
import { CA_PEM } from './apps';
import { request } from './https-client';

/** `mqtt` is MQTT 3.1.1, `mqtt31` MQTT 3.1 (MQIsdp), `mqtt5` MQTT 5. */
export type TestTransport = 'mqtt' | 'mqtt31' | 'mqtt5' | 'amqp';

export interface Registration {
  deviceId: string;
  name: string;
  certificate: string;
  privateKey: string;
  caCertificate: string;
  mqtt: { host: string; port: number };
  amqp: { host: string; port: number };
}

export async function registerDevice(baseUrl: string, token: string, name: string): Promise<Registration> {
  // EC keys: registration in ~1 ms, so tests with many devices stay fast.
  const res = await request<Registration>(baseUrl, 'POST', '/devices', { token, body: { name, keyType: 'ec' } });
  if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${res.text}`);
  return res.body;
}

const MQTT_VERSIONS = { mqtt31: 3, mqtt: 4, mqtt5: 5 } as const;

/** A simulated device connected over TLS with its own certificate, as real firmware does. */
export async function connectDevice(
  registration: Registration,
  transport: TestTransport,
  faults: FaultOptions = {},
): Promise<ConnectedDevice> {
  const common = {
    deviceId: registration.deviceId,
    name: registration.name,
    certificatePem: registration.certificate,
    privateKeyPem: registration.privateKey,
    caPem: CA_PEM,
    restartDelayMs: 300,
    logger: silentLogger,
    ...faults,
  };
  const device =
    transport === 'amqp'
      ? new AmqpDevice({ ...common, host: registration.amqp.host, port: registration.amqp.port })
      : new MqttDevice({
          ...common,
          host: registration.mqtt.host,
          port: registration.mqtt.port,
          mqttVersion: MQTT_VERSIONS[transport],
        });
  await device.start();
  return device;
}
