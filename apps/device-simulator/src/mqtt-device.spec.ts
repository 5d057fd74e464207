import { once } from 'node:events';
import { createServer } from 'node:net';
import { createCertificateAuthority } from '@app/pki';
import { FakeMqttBroker } from '../test/fake-mqtt-broker';
import { holdTimers } from '../test/held-timers';
import { TestDevice, TestPki, createTestDevice, createTestPki } from '../test/test-pki';
import { DeviceConnectError } from './connect-errors';
import { DropEvent, ReplyEvent } from './connected-device';
import { SimulatorLogger } from './logger';
import { MqttDevice, MqttDeviceOptions } from './mqtt-device';

jest.setTimeout(30_000);

let pki: TestPki;
let broker: FakeMqttBroker;
let port: number;
let identity: TestDevice;
const running: MqttDevice[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  identity = await createTestDevice(pki.ca);
  broker = new FakeMqttBroker({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca.certificatePem });
  port = await broker.listen();
});

afterAll(async () => {
  await broker?.close();
  await pki?.cleanup();
});

beforeEach(() => {
  broker.connects.length = 0;
  broker.subscriptions.length = 0;
  broker.published.length = 0;
  broker.connackCode = 0;
  broker.subackGranted = 1;
  broker.pubacks = true;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((device) => device.stop()));
});

function capture(): SimulatorLogger & { infos: string[]; warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (line) => infos.push(line), warn: (line) => warnings.push(line) };
}

function makeDevice(options: Partial<MqttDeviceOptions> = {}): MqttDevice {
  const device = new MqttDevice({
    deviceId: identity.deviceId,
    certificatePem: identity.certificatePem,
    privateKeyPem: identity.privateKeyPem,
    caPem: pki.ca.certificatePem,
    host: 'localhost',
    port,
    ip: '10.0.0.5',
    subnet: '255.255.255.0',
    gateway: '10.0.0.1',
    logger: capture(),
    restartDelayMs: 50,
    reconnectMinDelayMs: 20,
    ...options,
  });
  running.push(device);
  return device;
}

const id = (): string => identity.deviceId;
const repliesTo = (api: string) => broker.published.filter((p) => p.topic === `server/${id()}/${api}`);
const payloads = (): string[] => broker.published.map((p) => `${p.topic.split('/')[2]} ${p.payload.toString()}`);

/** Polls until `predicate` holds (for device-side effects that follow the broker's). */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('until: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function request(api: string, payload: string): Promise<void> {
  await broker.waitFor(() => broker.isConnected(id()));
  expect(broker.publish(id(), `${id()}/${api}`, payload)).toBe(true);
}

describe('MqttDevice: connecting', () => {
  it('connects like the firmware: client id = device id, clean session, MQTT 3.1.1, certificate login only', async () => {
    const device = makeDevice();
    const connected = jest.fn();
    device.on('connect', connected);
    await device.start();
    expect(device.connected).toBe(true);
    expect(connected).toHaveBeenCalledTimes(1);
    expect(broker.connects).toEqual([
      {
        clientId: id(),
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        username: undefined,
        password: undefined,
        certificateCn: id(),
        remoteAddress: '127.0.0.1', // the system's choice: no localAddress given
      },
    ]);
    expect(broker.subscriptions).toEqual([{ clientId: id(), topic: `${id()}/#`, qos: 1 }]);
  });

  it('speaks MQTT 3.1 (MQIsdp) when asked, and sends a legacy username/password when given', async () => {
    const device = makeDevice({ mqttVersion: 3, username: 'legacy', password: 'secret' });
    await device.start();
    expect(broker.connects[0]).toMatchObject({
      protocolId: 'MQIsdp',
      protocolVersion: 3,
      username: 'legacy',
      password: 'secret',
    });
  });

  it('start() rejects "connection refused: not authorized" and does not retry', async () => {
    broker.connackCode = 5;
    const device = makeDevice();
    const error = await device.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeviceConnectError);
    expect((error as DeviceConnectError).reason).toBe('not-authorized');
    expect((error as Error).message).toContain('connection refused: not authorized (CONNACK return code 5)');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(broker.connects).toHaveLength(1);
    expect(device.connected).toBe(false);
  });

  it('a refused subscription fails start()', async () => {
    broker.subackGranted = 0x80;
    await expect(makeDevice().start()).rejects.toThrow(`subscription to ${id()}/# refused by the broker`);
  });

  it('rejects a broker it cannot trust, unless insecure', async () => {
    const stranger = await createCertificateAuthority({ commonName: 'Someone else' });
    const error = await makeDevice({ caPem: stranger.certificatePem })
      .start()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceConnectError);
    expect((error as DeviceConnectError).reason).toBe('tls');
    expect((error as Error).message).toMatch(/TLS failed, the broker's certificate is not trusted/);
    expect(broker.connects).toHaveLength(0);

    await makeDevice({ caPem: stranger.certificatePem, insecure: true }).start();
    expect(broker.connects).toHaveLength(1);
  });

  it('says when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const freePort = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await makeDevice({ host: '127.0.0.1', port: freePort })
      .start()
      .catch((e: unknown) => e);
    expect((error as DeviceConnectError).reason).toBe('unreachable');
    expect((error as Error).message).toContain(`mqtts://127.0.0.1:${freePort}: cannot connect (ECONNREFUSED)`);
  });

  it('fails fast when the key does not belong to the certificate', async () => {
    const other = await createTestDevice(pki.ca);
    await expect(makeDevice({ privateKeyPem: other.privateKeyPem }).start()).rejects.toThrow(
      'the private key does not belong to the device certificate',
    );
    expect(broker.connects).toHaveLength(0);
  });

  it('stop() disconnects for good', async () => {
    const device = makeDevice();
    await device.start();
    const disconnected = once(device, 'disconnect');
    await device.stop();
    expect(await disconnected).toEqual([{ restarting: false }]);
    expect(device.connected).toBe(false);
    await broker.waitFor(() => !broker.isConnected(id()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broker.connects).toHaveLength(1);
  });

  it('reconnects on its own after losing the connection', async () => {
    const device = makeDevice();
    await device.start();
    const disconnect = once(device, 'disconnect');
    const reconnected = once(device, 'connect');
    broker.drop(id());
    const [event] = (await disconnect) as [{ restarting: boolean; error?: Error }];
    expect(event.restarting).toBe(false);
    await reconnected;
    expect(broker.connects).toHaveLength(2);
    await request('get_status', '{}');
    await broker.waitFor(() => repliesTo('get_status').length === 1);
  });
});

describe('MqttDevice: failover', () => {
  it('moves on to the next broker of its list when the connection is lost', async () => {
    const second = new FakeMqttBroker({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca.certificatePem });
    const secondPort = await second.listen();
    try {
      const device = makeDevice({ failover: [{ host: 'localhost', port: secondPort }] });
      await device.start();
      expect(device.url).toBe(`mqtts://localhost:${port}`);
      const reconnected = once(device, 'connect');
      broker.drop(id());
      await reconnected;
      expect(second.connects).toHaveLength(1);
      expect(device.url).toBe(`mqtts://localhost:${secondPort}`);
      await device.stop();
    } finally {
      await second.close();
    }
  });
});

describe('MqttDevice: answering', () => {
  it('answers on server/{id}/{api} at QoS 1 without retain, and logs one line per request', async () => {
    const logger = capture();
    const device = makeDevice({ logger, logRequests: true, name: 'bench-7' });
    await device.start();
    device.device.setGpio(3, 1);
    const replies: ReplyEvent[] = [];
    device.on('reply', (event) => replies.push(event));
    await request('get_gpio', '{"number":3}');
    await broker.waitFor(() => broker.published.length === 1);
    expect(broker.published[0]).toMatchObject({ topic: `server/${id()}/get_gpio`, qos: 1, retain: false });
    expect(JSON.parse(broker.published[0].payload.toString())).toEqual({ number: 3, value: 1 });
    await until(() => replies.length === 1); // emitted once the PUBACK is back
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ api: 'get_gpio', request: { number: 3 }, reply: { number: 3, value: 1 } });
    const line = logger.infos.find((l) => l.includes('get_gpio'));
    expect(line).toMatch(/^\[sim bench-7\] get_gpio \{"number":3\} -> \{"number":3,"value":1\} \(\d+\.\d ms\)$/);
  });

  it('goes on to its next request when a reply gets no PUBACK (a broker refusing it on MQTT 3.x)', async () => {
    const logger = capture();
    const device = makeDevice({ logger, pubackWaitMs: 50 });
    await device.start();
    broker.pubacks = false;
    const replies: ReplyEvent[] = [];
    device.on('reply', (event) => replies.push(event));
    await request('set_gpio', '{"number":5,"value":1}');
    await request('get_gpio', '{"number":5}');
    await broker.waitFor(() => broker.published.length === 2); // the second one was not stalled
    expect(JSON.parse(broker.published[1].payload.toString())).toEqual({ number: 5, value: 1 });
    await until(() => replies.length === 2);
    expect(logger.warnings.some((line) => line.includes('no PUBACK for the set_gpio reply within 50 ms'))).toBe(true);
    await device.stop();
  });

  it('keeps state across requests', async () => {
    const device = makeDevice();
    await device.start();
    await request('set_gpio', '{"number":12,"value":1}');
    await request('get_gpio', '{"number":12}');
    await request('get_gpio', '{"number":13}');
    await broker.waitFor(() => broker.published.length === 3);
    expect(payloads()).toEqual([
      'set_gpio {"number":12,"value":1}',
      'get_gpio {"number":12,"value":1}',
      'get_gpio {"number":13,"value":0}',
    ]);
  });

  it('answers one request at a time, in order, even with a reply delay', async () => {
    const device = makeDevice({ replyDelayMs: 80 });
    await device.start();
    await request('set_gpio', '{"number":1,"value":1}');
    await request('get_status', '{}');
    await request('get_gpio', '{"number":1}');
    await broker.waitFor(() => broker.published.length === 3);
    expect(payloads()).toEqual([
      'set_gpio {"number":1,"value":1}',
      'get_status {"status":"running"}',
      'get_gpio {"number":1,"value":1}',
    ]);
    const [a, b, c] = broker.published.map((p) => p.at);
    expect(b - a).toBeGreaterThanOrEqual(70);
    expect(c - b).toBeGreaterThanOrEqual(70);
  });

  it('ignores unknown apis, foreign topics and invalid requests (no reply)', async () => {
    const device = makeDevice();
    const drops: DropEvent[] = [];
    device.on('drop', (event) => drops.push(event));
    await device.start();
    await request('reboot', '{}');
    await request('get_gpio/extra', '{"number":1}');
    await request('get_gpio', '{"number":"one"}');
    await request('get_status', '{}');
    // Requests are handled one at a time, in order: the last one's reply means the others were handled.
    await broker.waitFor(() => broker.published.length === 1);
    expect(payloads()).toEqual(['get_status {"status":"running"}']);
    expect(drops).toEqual([
      expect.objectContaining({ api: 'get_gpio', reason: 'invalid-request', request: { number: 'one' } }),
    ]);
  });

  it('applies the faults', async () => {
    const device = makeDevice({ silentApis: ['get_rtc'], badReplyApis: ['get_ip'], nonJsonReplyApis: ['get_mac'] });
    await device.start();
    await request('get_rtc', '{}');
    await request('get_ip', '{}');
    await request('get_mac', '{}');
    await request('get_subnet', '{}');
    await broker.waitFor(() => broker.published.length === 3);
    expect(payloads()).toEqual([
      'get_ip {"value":"banana"}',
      'get_mac not json',
      'get_subnet {"value":"255.255.255.0"}',
    ]);
  });

  it('set_status restart: replies, disconnects, waits restartDelayMs, reconnects with GPIO reset', async () => {
    const device = makeDevice({ restartDelayMs: 300 });
    const events: string[] = [];
    device.on('restart', () => events.push('restart'));
    device.on('disconnect', (e) => events.push(`disconnect restarting=${e.restarting}`));
    device.on('connect', () => events.push('connect'));
    await device.start();
    device.device.setGpio(5, 1);
    await request('set_status', '{"status":"restart"}');
    await broker.waitFor(() => broker.connects.length === 2, 5000);
    await until(() => device.connected);
    const reply = repliesTo('set_status')[0];
    expect(JSON.parse(reply.payload.toString())).toEqual({ status: 'restarting' });
    expect(events).toEqual(['connect', 'restart', 'disconnect restarting=true', 'connect']);
    expect(device.device.gpio(5)).toBe(0);
    expect(device.device.bootCount).toBe(2);
    await request('get_status', '{}');
    await broker.waitFor(() => repliesTo('get_status').length === 1);
  });

  it('waits restartDelayMs before coming back', async () => {
    const restartDelay = holdTimers(4321);
    try {
      const device = makeDevice({ restartDelayMs: 4321 });
      await device.start();
      const restarting = once(device, 'disconnect');
      await request('set_status', '{"status":"restart"}');
      expect(await restarting).toEqual([{ restarting: true }]);
      // Offline for as long as the restart delay runs, however slow the machine is.
      expect(restartDelay.held()).toBe(1);
      expect(device.connected).toBe(false);
      expect(broker.connects).toHaveLength(1);
      const back = once(device, 'connect');
      restartDelay.release();
      await back;
      expect(broker.connects).toHaveLength(2);
    } finally {
      restartDelay.restore();
    }
  });

  it('drops requests that were queued behind a restart', async () => {
    const device = makeDevice({ replyDelayMs: 30, restartDelayMs: 100 });
    const drops: string[] = [];
    device.on('drop', (event) => drops.push(`${event.api} ${event.reason}`));
    await device.start();
    await request('set_status', '{"status":"restart"}');
    await request('get_status', '{}');
    await broker.waitFor(() => broker.connects.length === 2);
    await until(() => device.connected);
    expect(payloads()).toEqual(['set_status {"status":"restarting"}']);
    expect(drops).toEqual(['get_status stale']);
  });

  it('stop() during a reply delay sends nothing more and returns promptly', async () => {
    // An hour's delay: a stop() that waited for it would fail this test by its timeout.
    const device = makeDevice({ replyDelayMs: 3_600_000 });
    const replies = jest.fn();
    device.on('reply', replies);
    await device.start();
    const received = once(device, 'request');
    await request('get_status', '{}');
    await received;
    await device.stop();
    expect(broker.published).toEqual([]);
    expect(replies).not.toHaveBeenCalled();
  });
});
