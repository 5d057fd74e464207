import { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Channel } from 'amqplib';
import { connectBroker } from '@app/common/nest';
import { ConnectedDevice, RequestEvent } from '../apps/device-simulator/src';
import { DeviceCommandConfig } from '../apps/device-command/src/config/device-command.config';
import { shardLeaseQueue, shardLeaseQueueOptions } from '../apps/device-command/src/devices/link/shard-leases';
import { DeviceCommandMetrics } from '../apps/device-command/src/observability/device-command.metrics';
import { brokerSettings } from '../apps/device-command/src/transport.options';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Registration, connectDevice, registerDevice } from './support/simulated-devices';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A device-command replica stops while its request is out on an MQTT 3.1.1 device (no request
 * id); another replica takes its shard over. The device's late reply to the first replica's
 * request must not be taken for the new replica's first request, and a write whose first
 * delivery's fate is unknown must not be sent to the device twice (docs/reliability.md).
 */
describe('shard takeover between device-command replicas (e2e, real broker)', () => {
  let gateway: RunningGateway;
  let token: string;
  const replicas: INestApplication[] = [];
  const devices: ConnectedDevice[] = [];

  const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    request<T>(gateway.baseUrl, method, path, { token, body });

  /** A replica of device-command; the first one started takes every shard, later ones wait. */
  async function replica(): Promise<INestApplication> {
    const app = await startDeviceCommand({ httpPort: 0 });
    replicas.push(app);
    return app;
  }

  async function stop(app: INestApplication): Promise<void> {
    replicas.splice(replicas.indexOf(app), 1);
    await app.close();
  }

  /**
   * An MQTT 3.1.1 device that answers its first write `slowMs` late; the requests it receives are
   * recorded from then on. Called once first, so that the fence after its connection is behind it.
   */
  async function slowDevice(slowMs: number): Promise<{ reg: Registration; requests: RequestEvent[] }> {
    const reg = await registerDevice(gateway.baseUrl, token, uniqueName('takeover'));
    const sim = await connectDevice(reg, 'mqtt');
    devices.push(sim);
    expect((await call('GET', `/devices/${reg.name}/status`)).status).toBe(200);
    const requests: RequestEvent[] = [];
    sim.on('request', (event) => {
      requests.push(event);
      if (requests.length > 1 || event.api !== 'set_gpio') return;
      // Its delay is fixed once the device starts on it (at once: it has nothing else to do).
      sim.device.setFaults({ replyDelayMs: slowMs });
      setTimeout(() => sim.device.setFaults({ replyDelayMs: 0 }), 200);
    });
    return { reg, requests };
  }

  /** Empties the shards' lease queues, as on a broker where no device-command sent requests lately. */
  async function forgetLeases(app: INestApplication): Promise<void> {
    const config = app.get<ConfigService<DeviceCommandConfig, true>>(ConfigService);
    const options = shardLeaseQueueOptions(config.get('DEVICE_COMMAND_QUEUE_TYPE', { infer: true }));
    const connection = connectBroker(brokerSettings(config), 'e2e shard leases');
    try {
      const channel = connection.createChannel({
        setup: async (ch: Channel) => {
          for (let shard = 0; shard < config.get('DEVICE_COMMAND_SHARDS', { infer: true }); shard++) {
            await ch.assertQueue(shardLeaseQueue(shard), options);
            await ch.purgeQueue(shardLeaseQueue(shard));
          }
        },
      });
      await channel.waitForConnect();
      await channel.close();
    } finally {
      await connection.close();
    }
  }

  beforeAll(async () => {
    gateway = await startGateway();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('operator'));
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    for (const app of [...replicas]) await app.close();
    await gateway.close();
    closeClient();
  });

  it('sends no fence from a replica taking shards no other replica sent requests on lately (a fresh stack)', async () => {
    const app = await replica();
    await forgetLeases(app);
    const reg = await registerDevice(gateway.baseUrl, token, uniqueName('fresh'));
    const sim = await connectDevice(reg, 'mqtt'); // MQTT 3.1.1: no request ids, so it would be fenced
    devices.push(sim);
    const apis: string[] = [];
    sim.on('request', (event) => apis.push(event.api));
    const res = await call('GET', `/devices/${reg.name}/gpio/1?timeout=10000`);
    expect(res.status).toBe(200);
    expect(apis).toEqual(['get_gpio']); // no get_subnet, get_gateway before it
    const fences = await app.get(DeviceCommandMetrics).fences.get();
    expect(fences.values.map((v) => [v.labels.reason, v.value])).toEqual([
      ['takeover', 0],
      ['reconnect', 0],
    ]);
    await stop(app);
  });

  it("never hands the stopped replica's late reply to the new owner's first request", async () => {
    const first = await replica();
    await replica(); // waits for the shards
    const { reg, requests } = await slowDevice(3000);
    // The first replica sends pin 1 := 1; the device answers it 3 s later.
    const timedOut = await call<{ code: string }>('PUT', `/devices/${reg.name}/gpio/1?timeout=1000`, { value: 1 });
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.code).toBe('DEVICE_TIMEOUT');
    // It stops while the device still works on that request: the other replica takes the shards.
    await stop(first);
    // The new owner's first request to the device, while the late reply to pin 1 is still to come.
    const next = await call('PUT', `/devices/${reg.name}/gpio/2?timeout=10000`, { value: 0 });
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ number: 2, value: 0 });
    // Between the two writes, only read requests went out (the fence), and each write once.
    const apis = requests.map((r) => r.api);
    expect(apis.filter((api) => api === 'set_gpio')).toHaveLength(2);
    expect(apis[0]).toBe('set_gpio');
    expect(apis[apis.length - 1]).toBe('set_gpio');
    expect(apis.slice(1, -1).every((api) => api.startsWith('get_'))).toBe(true);
  });

  it('answers a redelivered write as of unknown outcome (503), and does not send it to the device again', async () => {
    const owner = replicas[0] ?? (await replica());
    await replica(); // waits for the shards
    const { reg, requests } = await slowDevice(3000);
    const pending = call<{ code: string }>('PUT', `/devices/${reg.name}/gpio/3?timeout=8000`, { value: 1 });
    while (requests.length === 0) await sleep(20);
    expect(requests[0].api).toBe('set_gpio');
    // The owner stops with the request out on the device and unacknowledged: the broker
    // redelivers it to the replica that takes the shard over.
    await stop(owner);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('DEVICE_COMMAND_UNAVAILABLE');
    // The device got the write once, never a second time from the new owner.
    await sleep(3500);
    expect(requests.filter((r) => r.api === 'set_gpio')).toHaveLength(1);
    // The device is served again, with its own answers.
    const next = await call('GET', `/devices/${reg.name}/gpio/3?timeout=10000`);
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ number: 3, value: 1 });
  });
});
