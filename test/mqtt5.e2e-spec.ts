import { INestApplication } from '@nestjs/common';
import { ConnectedDevice, RequestEvent } from '../apps/device-simulator/src';
import { replyTopic } from '@app/device-protocol';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Registration, TestTransport, connectDevice, registerDevice } from './support/simulated-devices';

/**
 * MQTT 5 devices get request ids: every request carries Correlation Data and a
 * Response Topic, and device-command matches replies by it (no barrier request).
 * Every API over MQTT 5 is in device-control.e2e-spec.ts.
 */
describe('MQTT 5 request ids (e2e, real broker)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  const devices: ConnectedDevice[] = [];
  const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    request<T>(gateway.baseUrl, method, path, { token, body });

  async function device(transport: TestTransport): Promise<{ reg: Registration; sim: ConnectedDevice }> {
    const reg = await registerDevice(gateway.baseUrl, token, uniqueName(transport).slice(0, 60));
    const sim = await connectDevice(reg, transport);
    devices.push(sim);
    return { reg, sim };
  }

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('operator'));
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('every request carries Correlation Data, unique per request, and the reply topic as Response Topic', async () => {
    const { reg, sim } = await device('mqtt5');
    const requests: RequestEvent[] = [];
    sim.on('request', (event) => requests.push(event));
    expect((await call('GET', `/devices/${reg.name}/status`)).status).toBe(200);
    expect((await call('GET', `/devices/${reg.name}/gpio/4`)).status).toBe(200);
    expect(requests.map((r) => r.replyContext?.responseTopic)).toEqual([
      replyTopic(reg.deviceId, 'get_status'),
      replyTopic(reg.deviceId, 'get_gpio'),
    ]);
    const ids = requests.map((r) => r.replyContext?.correlationData?.toString('hex') ?? '');
    expect(ids.every((id) => id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(2);
  });

  it('a late reply after a timeout is dropped by its request id, not taken as the next answer (no barrier)', async () => {
    const { reg, sim } = await device('mqtt5');
    // One answered request: device-command now knows this device echoes request ids.
    expect((await call('GET', `/devices/${reg.name}/status`)).status).toBe(200);
    const apis: string[] = [];
    sim.on('request', (event) => apis.push(event.api));
    sim.device.setGpio(1, 1);
    sim.device.setFaults({ replyDelayMs: 700 });
    const late = await call<{ code: string }>('GET', `/devices/${reg.name}/gpio/1?timeout=200`);
    expect(late.status).toBe(504);
    expect(late.body.code).toBe('DEVICE_TIMEOUT');
    sim.device.setFaults({ replyDelayMs: 0 });
    // Same API at once: the device answers pin 1 (value 1) late, then pin 2 (value 0).
    const next = await call('GET', `/devices/${reg.name}/gpio/2?timeout=3000`);
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ number: 2, value: 0 });
    // Matched by id: no barrier request went out between the two.
    expect(apis).toEqual(['get_gpio', 'get_gpio']);
  });

  it('a mixed fleet of MQTT 3.1, 3.1.1 and 5 devices, called at once, each gets its own answers', async () => {
    const transports: TestTransport[] = ['mqtt31', 'mqtt', 'mqtt5'];
    const fleet = await Promise.all(Array.from({ length: 9 }, (_, i) => device(transports[i % 3])));
    fleet.forEach(({ sim }, i) => {
      sim.device.setGpio(5, (i % 2) as 0 | 1);
      sim.device.setGpio(6, ((i + 1) % 2) as 0 | 1);
    });
    const results = await Promise.all(
      fleet.flatMap(({ reg }) => [
        call('GET', `/devices/${reg.name}/gpio/5`),
        call('GET', `/devices/${reg.name}/gpio/6`),
        call('GET', `/devices/${reg.name}/status`),
      ]),
    );
    fleet.forEach((_, i) => {
      const [five, six, status] = results.slice(3 * i, 3 * i + 3);
      expect([five.status, six.status, status.status]).toEqual([200, 200, 200]);
      expect(five.body).toEqual({ number: 5, value: i % 2 });
      expect(six.body).toEqual({ number: 6, value: (i + 1) % 2 });
      expect(status.body).toEqual({ status: 'running' });
    });
  });
});
