import { INestApplication } from '@nestjs/common';
import * as https from 'node:https';
import { AmqpDevice, ConnectedDevice, MqttDevice, silentLogger } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, uniqueName } from './support/https-client';

interface Raw {
  status: number;
  contentType: string;
  text: string;
  json: () => Record<string, unknown>;
}

/**
 * Exactly what libpyiotcloud's client does: Node's raw https.request, JSON
 * bodies with `Content-type: application/json` on every method, GET included.
 * Like that client, it does not verify the server certificate.
 */
function legacy(baseUrl: string, method: 'GET' | 'POST', path: string, body?: object): Promise<Raw> {
  const data = body ? JSON.stringify(body) : '';
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${baseUrl}${path}`,
      {
        method,
        rejectUnauthorized: false,
        headers: body ? { 'Content-type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    if (body) req.write(data);
    req.end();
  });
}

describe('libpyiotcloud drop-in (e2e: the legacy client’s call sequence over raw HTTPS, real stack, legacy device tools)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  const sims: ConnectedDevice[] = [];
  const username = uniqueName('legacy');
  const password = 'legacy-password-1';
  let secret: string;
  const call = (method: 'GET' | 'POST', path: string, body?: object) => legacy(gateway.baseUrl, method, path, body);

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await gateway.close();
    await deviceCommand.close();
  });

  it('GET / answers', async () => {
    const res = await call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.json().status).toBe('OK');
  });

  it('signs up, and refuses the same username again', async () => {
    const first = await call('POST', '/signup', { username, password });
    expect([first.status, first.json()]).toEqual([200, { status: 'OK' }]);
    const again = await call('POST', '/signup', { username, password });
    expect([again.status, again.json()]).toEqual([200, { status: 'NG, username already exist' }]);
  });

  it('logs in with the same secret every time, and tells unknown users from bad passwords', async () => {
    const login = await call('POST', '/login', { username, password });
    expect(login.status).toBe(200);
    secret = login.json().secret as string;
    expect(login.json()).toEqual({ status: 'OK', secret });
    expect(secret).toMatch(/^[0-9a-f]{64}$/); // 256 bits
    expect((await call('POST', '/login', { username, password })).json()).toEqual({ status: 'OK', secret });
    expect((await call('POST', '/login', { username: uniqueName('ghost'), password })).json()).toEqual({
      status: 'NG, username does not exist',
      secret: 'Unknown',
    });
    expect((await call('POST', '/login', { username, password: 'wrong-password' })).json()).toEqual({
      status: 'NG, password is incorrect',
      secret: 'Unknown',
    });
  });

  it('lists no devices yet (GET with a JSON body), and refuses a bad secret', async () => {
    expect((await call('GET', '/get_device_list', { username, secret })).json()).toEqual({ status: 'OK', devices: [] });
    expect((await call('GET', '/get_device_list', { username, secret: 'f'.repeat(64) })).json()).toEqual({
      status: 'NG, secret is incorrect',
    });
  });

  describe.each([
    ['device1', 'mqtt (MQTT 3.1 with deviceid/password, like the seed simulator)'],
    ['device2', 'amqp (PLAIN with deviceid/password, like the Pika simulator)'],
  ])('%s over %s', (devicename, _transport) => {
    let reg: Record<string, string>;
    let sim: ConnectedDevice;
    const op = (method: 'GET' | 'POST', api: string, params: object = {}) =>
      call(method, `/${api}`, { username, secret, devicename, ...params });

    it('registers: key returned once, refused when the name is taken', async () => {
      const res = await call('POST', '/register_device', { username, secret, devicename });
      expect(res.status).toBe(200);
      reg = res.json() as Record<string, string>;
      expect(Object.keys(reg).sort()).toEqual([
        'brokerpassword',
        'ca',
        'cert',
        'deviceid',
        'devicename',
        'pkey',
        'status',
      ]);
      expect(reg).toEqual({
        status: 'OK',
        devicename,
        deviceid: expect.stringMatching(/^[0-9a-f]{32}$/),
        cert: expect.stringContaining('BEGIN CERTIFICATE'),
        pkey: expect.stringContaining('PRIVATE KEY'),
        ca: expect.stringContaining('BEGIN CERTIFICATE'),
        brokerpassword: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect((await call('POST', '/register_device', { username, secret, devicename })).json()).toEqual({
        status: 'NG, device already registered',
      });
      const list = (await call('GET', '/get_device_list', { username, secret })).json();
      expect(list.status).toBe('OK');
      expect(list.devices).toContainEqual({ devicename, deviceid: reg.deviceid, cert: reg.cert, ca: reg.ca });
      expect(JSON.stringify(list)).not.toMatch(/PRIVATE KEY/);
    });

    it('the legacy device tool connects with deviceid/password and its certificate', async () => {
      const common = {
        deviceId: reg.deviceid,
        certificatePem: reg.cert,
        privateKeyPem: reg.pkey,
        caPem: reg.ca,
        host: 'localhost',
        username: reg.deviceid,
        password: reg.brokerpassword,
        insecure: true, // rejectUnauthorized: false, as the seed tools do
        restartDelayMs: 200,
        logger: silentLogger,
        mac: '00:11:22:33:44:55',
        ip: '192.168.1.50',
        subnet: '255.255.255.0',
        gateway: '192.168.1.1',
      };
      sim =
        devicename === 'device1'
          ? new MqttDevice({ ...common, port: Number(process.env.MQTT_PORT ?? 8883), mqttVersion: 3 })
          : new AmqpDevice({ ...common, port: Number(process.env.AMQP_PORT ?? 5671) });
      // start() rejects on a refused login; the later tests of this block use this connection.
      await sim.start();
      sims.push(sim);
      expect(sim.connected).toBe(true);
    });

    it('answers every device call with the device’s JSON reply', async () => {
      const expectReply = async (method: 'GET' | 'POST', api: string, params: object, reply: object) => {
        const res = await op(method, api, params);
        expect({ api, status: res.status, body: res.json() }).toEqual({ api, status: 200, body: reply });
      };
      await expectReply('GET', 'get_status', {}, { status: 'running' });
      await expectReply('POST', 'write_uart', { data: 'Hello World' }, { data: 'Hello World' });
      await expectReply('GET', 'get_gpio', { number: 1 }, { number: 1, value: 0 });
      await expectReply('POST', 'set_gpio', { number: 1, value: 1 }, { number: 1, value: 1 });
      await expectReply('GET', 'get_gpio', { number: 1 }, { number: 1, value: 1 });
      await expectReply('POST', 'set_rtc', { value: 1_600_000_000 }, { value: 1_600_000_000 });
      const rtc = (await op('GET', 'get_rtc')).json();
      expect(Object.keys(rtc)).toEqual(['value']);
      expect(rtc.value).toBeGreaterThanOrEqual(1_600_000_000);
      expect(rtc.value).toBeLessThan(1_600_000_005);
      await expectReply('GET', 'get_mac', {}, { value: '00:11:22:33:44:55' });
      await expectReply('GET', 'get_ip', {}, { value: '192.168.1.50' });
      await expectReply('GET', 'get_subnet', {}, { value: '255.255.255.0' });
      await expectReply('GET', 'get_gateway', {}, { value: '192.168.1.1' });
      await expectReply('POST', 'set_status', { status: 'restart' }, { status: 'restarting' });
    });

    it('answers errors with the legacy short texts', async () => {
      const badSecret = await call('GET', '/get_status', { username, secret: '0'.repeat(64), devicename });
      expect([badSecret.status, badSecret.text]).toEqual([400, 'Device secret is not valid!']);
      const unknown = await call('GET', '/get_status', { username, secret, devicename: 'nosuchdevice' });
      expect([unknown.status, unknown.text]).toEqual([400, 'Device is not registered!']);
      await sim.stop();
      const down = await op('GET', 'get_status');
      expect([down.status, down.text]).toEqual([400, 'Device is not running!']);
    });

    it('unregisters, once', async () => {
      expect((await call('POST', '/unregister_device', { username, secret, devicename })).json()).toEqual({
        status: 'OK',
      });
      expect((await call('POST', '/unregister_device', { username, secret, devicename })).json()).toEqual({
        status: 'NG, device not registered',
      });
    });
  });

  it('lists no devices after unregistering both', async () => {
    expect((await call('GET', '/get_device_list', { username, secret })).json()).toEqual({ status: 'OK', devices: [] });
  });

  it('rotating the secret (modern API) retires the old one; /login then hands out the new one', async () => {
    const login = await request<{ accessToken: string }>(gateway.baseUrl, 'POST', '/auth/login', {
      body: { username, password },
    });
    const rotated = await request<{ secret: string }>(gateway.baseUrl, 'POST', '/auth/legacy-secret/rotate', {
      token: login.body.accessToken,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.body.secret).not.toBe(secret);
    expect((await call('GET', '/get_device_list', { username, secret })).json()).toEqual({
      status: 'NG, secret is incorrect',
    });
    expect((await call('POST', '/login', { username, password })).json()).toEqual({
      status: 'OK',
      secret: rotated.body.secret,
    });
    closeClient();
  });
});
