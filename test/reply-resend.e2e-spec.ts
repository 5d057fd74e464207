import { INestApplication } from '@nestjs/common';
import mqtt, { MqttClient, Store } from 'mqtt';
import type { Packet } from 'mqtt-packet';
import { replyTopic } from '@app/device-protocol';
import { CA_PEM, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Registration, registerDevice } from './support/simulated-devices';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * mqtt.js keeps a QoS 1 publish in its outgoing store until the PUBACK comes, and when the same
 * client reconnects it publishes the store again (MqttClient._onConnect, before its `connect`
 * event and so before it subscribes again). This store never forgets: every reply is as one whose
 * PUBACK was lost with the connection.
 */
class PubackLostStore extends Store {
  override del(packet: Pick<Packet, 'messageId'>, cb: (error?: Error, packet?: Packet) => void): this {
    return this.get(packet, cb);
  }
}

/** Answers of a device with pins 1 = 1 and 2 = 0, for the apis this test and the platform's fences use. */
function answer(api: string, body: { number?: number }): object {
  switch (api) {
    case 'get_gpio':
      return { number: body.number, value: body.number === 1 ? 1 : 0 };
    case 'get_status':
      return { status: 'running' };
    case 'get_rtc':
      return { value: 1700000000 };
    case 'get_mac':
      return { value: '44:d5:f2:00:10:2a' };
    case 'get_ip':
      return { value: '192.168.1.10' };
    case 'get_subnet':
      return { value: '255.255.255.0' };
    default:
      return { value: '192.168.1.1' };
  }
}

/**
 * An MQTT 3.1.1 device on mqtt.js that reconnects by itself (the same client) and re-sends its
 * unacknowledged replies after a reconnect, as such firmware may: a reply re-sent while a later
 * request of the same api is out must not be taken for that request's answer.
 */
describe('replies re-sent after a reconnect (e2e, real broker, mqtt.js)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  let client: MqttClient | undefined;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand({ httpPort: 0 });
    gateway = await startGateway();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('operator'));
  });

  afterAll(async () => {
    await client?.endAsync(true);
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  /** Connects the device; on the first request for pin 2 it drops its connection without answering. */
  async function device(reg: Registration): Promise<{ requests: string[]; connects: () => number }> {
    const requests: string[] = [];
    let connects = 0;
    let cut = false;
    const c = mqtt.connect(`mqtts://${reg.mqtt.host}:${reg.mqtt.port}`, {
      clientId: reg.deviceId,
      cert: reg.certificate,
      key: reg.privateKey,
      ca: CA_PEM,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 500,
      outgoingStore: new PubackLostStore(),
    });
    client = c;
    c.on('connect', () => {
      connects += 1;
      if (connects === 1) c.subscribe(`${reg.deviceId}/#`, { qos: 1 }); // mqtt.js subscribes again itself
    });
    c.on('message', (topic, payload) => {
      const api = topic.split('/')[1];
      const body = JSON.parse(payload.toString() || '{}') as { number?: number };
      requests.push(api);
      if (api === 'get_gpio' && body.number === 2 && !cut) {
        cut = true;
        c.stream.destroy(); // a request in flight across a reconnect
        return;
      }
      c.publish(replyTopic(reg.deviceId, api as never), JSON.stringify(answer(api, body)), { qos: 1 });
    });
    while (connects === 0) await sleep(20);
    await sleep(300); // subscribed
    return { requests, connects: () => connects };
  }

  it('never takes a reply re-sent on the new connection for the request that was out on the old one', async () => {
    const reg = await registerDevice(gateway.baseUrl, token, uniqueName('resend'));
    const dev = await device(reg);
    const call = (pin: number) =>
      request<Record<string, unknown>>(gateway.baseUrl, 'GET', `/devices/${reg.name}/gpio/${pin}?timeout=5000`, {
        token,
      });

    const one = await call(1);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ number: 1, value: 1 });
    // Pin 2: the device drops its connection instead of answering, reconnects, and re-sends pin 1's reply.
    const two = await call(2);
    expect(two.body).not.toEqual({ number: 1, value: 1 });
    expect(two.status).toBe(503);
    expect(two.body.code).toBe('DEVICE_COMMAND_UNAVAILABLE');
    while (dev.connects() < 2) await sleep(20);
    await sleep(300);
    // Served again, with its own answers (the re-sent replies fenced off).
    const again = await call(2);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ number: 2, value: 0 });
  });
});
