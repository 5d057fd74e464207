import { INestApplication } from '@nestjs/common';
import { once } from 'node:events';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Registration, TestTransport, connectDevice, registerDevice } from './support/simulated-devices';

interface ErrorBody {
  statusCode: number;
  code: string;
}

describe('device control (e2e: HTTPS -> gateway -> AMQPS -> device-command -> MQTT/AMQP device, real broker)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  const devices: ConnectedDevice[] = [];
  const url = () => gateway.baseUrl;
  const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
    request<T>(url(), method, path, { token, body });

  async function device(transport: TestTransport, faults = {}): Promise<{ reg: Registration; sim: ConnectedDevice }> {
    const reg = await registerDevice(url(), token, uniqueName(transport).slice(0, 60));
    const sim = await connectDevice(reg, transport, faults);
    devices.push(sim);
    return { reg, sim };
  }

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
    token = await signUpAndLogIn(url(), uniqueName('operator'));
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  describe.each<TestTransport>(['mqtt', 'mqtt31', 'mqtt5', 'amqp'])('every API over %s', (transport) => {
    let reg: Registration;
    let sim: ConnectedDevice;
    const at = (suffix: string) => `/devices/${reg.name}${suffix}`;

    beforeAll(async () => {
      ({ reg, sim } = await device(transport, {
        mac: '02:00:00:00:00:01',
        ip: '10.1.2.3',
        subnet: '255.255.0.0',
        gateway: '10.1.0.1',
      }));
    });

    it('status', async () => {
      const res = await call('GET', at('/status'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'running' });
      expect(res.headers['server-timing']).toMatch(/^device;dur=\d+(\.\d+)?$/);
    });

    it('gpio: set, then read back per pin', async () => {
      expect((await call('PUT', at('/gpio/5'), { value: 1 })).body).toEqual({ number: 5, value: 1 });
      expect((await call('GET', at('/gpio/5'))).body).toEqual({ number: 5, value: 1 });
      expect((await call('GET', at('/gpio/6'))).body).toEqual({ number: 6, value: 0 });
      expect((await call('PUT', at('/gpio/5'), { value: 0 })).body).toEqual({ number: 5, value: 0 });
      expect(sim.device.gpio(5)).toBe(0);
    });

    it('rtc: set, then read a ticking clock', async () => {
      const value = 1_700_000_000;
      expect((await call('PUT', at('/rtc'), { value })).body).toEqual({ value });
      const read = await call<{ value: number }>('GET', at('/rtc'));
      expect(read.body.value).toBeGreaterThanOrEqual(value);
      expect(read.body.value).toBeLessThan(value + 5);
    });

    it('mac: read and set', async () => {
      expect((await call('GET', at('/mac'))).body).toEqual({ value: '02:00:00:00:00:01' });
      expect((await call('PUT', at('/mac'), { value: '02:AA:BB:CC:DD:EE' })).body).toEqual({
        value: '02:aa:bb:cc:dd:ee',
      });
      expect((await call('GET', at('/mac'))).body).toEqual({ value: '02:aa:bb:cc:dd:ee' });
    });

    it('ip, subnet, gateway', async () => {
      expect((await call('GET', at('/ip'))).body).toEqual({ value: '10.1.2.3' });
      expect((await call('GET', at('/subnet'))).body).toEqual({ value: '255.255.0.0' });
      expect((await call('GET', at('/gateway'))).body).toEqual({ value: '10.1.0.1' });
    });

    it('uart: written data is echoed', async () => {
      const res = await call('POST', at('/uart'), { data: 'hello, FT900' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: 'hello, FT900' });
    });

    it('restart: answers "restarting", goes away, and comes back', async () => {
      const reconnected = once(sim, 'connect');
      expect((await call('PUT', at('/status'), { status: 'restart' })).body).toEqual({ status: 'restarting' });
      await reconnected;
      expect((await call('GET', at('/status'))).body).toEqual({ status: 'running' });
    });
  });

  it('validates requests before they reach a device (400)', async () => {
    const { reg } = await device('mqtt');
    for (const [method, path, body] of [
      ['PUT', `/devices/${reg.name}/gpio/1`, { value: 2 }],
      ['GET', `/devices/${reg.name}/gpio/999`, undefined],
      ['PUT', `/devices/${reg.name}/status`, { status: 'shutdown' }],
      ['PUT', `/devices/${reg.name}/mac`, { value: 'not-a-mac' }],
      ['GET', `/devices/${reg.name}/status?timeout=50`, undefined],
      ['GET', `/devices/${reg.name}/status?timeout=30001`, undefined],
    ] as const) {
      const res = await call<ErrorBody>(method, path, body);
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('unknown device: 404 DEVICE_NOT_FOUND', async () => {
    const res = await call<ErrorBody>('GET', '/devices/no-such-device/status');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('DEVICE_NOT_FOUND');
  });

  it('registered but not connected: 503 DEVICE_OFFLINE, at once', async () => {
    const reg = await registerDevice(url(), token, uniqueName('offline'));
    const started = Date.now();
    const res = await call<ErrorBody>('GET', `/devices/${reg.name}/status?timeout=5000`);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('DEVICE_OFFLINE');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a device that does not answer: 504 DEVICE_TIMEOUT after the timeout, not much later', async () => {
    const { reg } = await device('mqtt', { silentApis: ['get_rtc'] });
    const started = Date.now();
    const res = await call<ErrorBody>('GET', `/devices/${reg.name}/rtc?timeout=300`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.body.code).toBe('DEVICE_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1300);
  });

  it('a late reply never answers the next request', async () => {
    const { reg, sim } = await device('mqtt');
    sim.device.setGpio(1, 1);
    sim.device.setFaults({ replyDelayMs: 700 });
    const late = await call<ErrorBody>('GET', `/devices/${reg.name}/gpio/1?timeout=200`);
    expect(late.status).toBe(504);
    sim.device.setFaults({ replyDelayMs: 0 });
    // The device still answers pin 1 (value 1) late; the next request asks pin 2 (value 0).
    const next = await call('GET', `/devices/${reg.name}/gpio/2?timeout=3000`);
    expect(next.status).toBe(200);
    expect(next.body).toEqual({ number: 2, value: 0 });
  });

  it('a reply that breaks the schema, or is not JSON: 502 DEVICE_BAD_REPLY', async () => {
    const { reg } = await device('mqtt', { badReplyApis: ['get_mac'], nonJsonReplyApis: ['get_ip'] });
    const bad = await call<ErrorBody>('GET', `/devices/${reg.name}/mac`);
    expect(bad.status).toBe(502);
    expect(bad.body.code).toBe('DEVICE_BAD_REPLY');
    const garbage = await call<ErrorBody>('GET', `/devices/${reg.name}/ip`);
    expect(garbage.status).toBe(502);
    expect(garbage.body.code).toBe('DEVICE_BAD_REPLY');
    // The device itself is fine: other APIs still work.
    expect((await call('GET', `/devices/${reg.name}/status`)).status).toBe(200);
  });

  it('20 concurrent requests to one device: all answered, each with its own answer', async () => {
    const { reg, sim } = await device('mqtt');
    for (let pin = 0; pin < 20; pin++) sim.device.setGpio(pin, pin % 3 === 0 ? 1 : 0);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, pin) => call('GET', `/devices/${reg.name}/gpio/${pin}`)),
    );
    results.forEach((res, pin) => {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ number: pin, value: pin % 3 === 0 ? 1 : 0 });
    });
  });

  it('too many waiting requests for one device: 429 DEVICE_BUSY for the excess', async () => {
    const { reg } = await device('mqtt', { replyDelayMs: 20 });
    const results = await Promise.all(
      Array.from({ length: 45 }, () => call<ErrorBody>('GET', `/devices/${reg.name}/status?timeout=10000`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(33); // 1 in flight + 32 waiting
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(results.find((r) => r.status === 429)?.body.code).toBe('DEVICE_BUSY');
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  });

  it('50 devices in parallel', async () => {
    const fleet = await Promise.all(Array.from({ length: 50 }, (_, i) => device(i % 2 ? 'mqtt' : 'amqp')));
    fleet.forEach(({ sim }, i) => sim.device.setGpio(7, (i % 2) as 0 | 1));
    const results = await Promise.all(fleet.map(({ reg }) => call('GET', `/devices/${reg.name}/gpio/7`)));
    results.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ number: 7, value: i % 2 });
    });
  });

  it('two device-command replicas: nothing lost or misrouted, and one takes over when the other stops', async () => {
    const second = await startDeviceCommand({ httpPort: 0 }); // the first holds DEVICE_COMMAND_HTTP_PORT
    try {
      const fleet = await Promise.all(Array.from({ length: 10 }, () => device('mqtt')));
      fleet.forEach(({ sim }, i) => sim.device.setGpio(3, (i % 2) as 0 | 1));
      const check = async () => {
        const results = await Promise.all(
          fleet.flatMap(({ reg }) => [0, 1, 2].map(() => call('GET', `/devices/${reg.name}/gpio/3`))),
        );
        results.forEach((res, k) => {
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ number: 3, value: Math.floor(k / 3) % 2 });
        });
      };
      await check();
      // The first replica goes away: the standby consumers take its shards over.
      await deviceCommand.close();
      await check();
    } finally {
      deviceCommand = second;
    }
  });

  it('device-command down: 503 DEVICE_COMMAND_UNAVAILABLE at once, not a hang', async () => {
    const { reg } = await device('mqtt');
    await deviceCommand.close();
    try {
      const started = Date.now();
      const res = await call<ErrorBody>('GET', `/devices/${reg.name}/status?timeout=5000`);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('DEVICE_COMMAND_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      deviceCommand = await startDeviceCommand();
    }
  });
});
