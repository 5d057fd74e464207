import { INestApplication } from '@nestjs/common';
import * as amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { parseRequestRoutingKey } from '@app/device-protocol';
import { AmqpDevice, ConnectedDevice, SimulatedDevice, silentLogger } from '../apps/device-simulator/src';
import { CA_PEM, CERTS_DIR, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, uniqueName } from './support/https-client';
import { mqttConnect } from './support/mqtt-client';
import { loadServiceTls } from '@app/pki';

const AMQP_PORT = Number(process.env.AMQP_PORT ?? 5671);

/** A legacy registration, as `/register_device` answers it. */
interface LegacyRegistration {
  devicename: string;
  deviceid: string;
  cert: string;
  pkey: string;
  brokerpassword: string;
}

/** TLS to the AMQPS listener with no client certificate, logging in with PLAIN. */
function connectWithoutCertificate(username: string, password: string): Promise<ChannelModel> {
  return amqplib.connect(
    { protocol: 'amqps', hostname: 'localhost', port: AMQP_PORT, vhost: '/' },
    { ca: CA_PEM, servername: 'localhost', credentials: amqplib.credentials.plain(username, password) },
  );
}

/**
 * libpyiotcloud's Pika AMQP device, step by step: no client certificate, PLAIN with
 * deviceid + broker password, a non-passive declaration of amq.topic (topic, durable,
 * not auto-delete), its auto-delete queue bound with its request key, a consumer, and
 * replies published to amq.topic as `server.<deviceid>.<api>`. The board itself (what
 * it answers) is the simulator's.
 */
async function startPikaDevice(reg: LegacyRegistration): Promise<{ connection: ChannelModel; channel: Channel }> {
  const board = new SimulatedDevice({
    deviceId: reg.deviceid,
    mac: '00:11:22:33:44:55',
    ip: '192.168.1.50',
    subnet: '255.255.255.0',
    gateway: '192.168.1.1',
    logger: silentLogger,
  });
  const queue = `mqtt-subscription-${reg.deviceid}qos1`;
  const connection = await connectWithoutCertificate(reg.deviceid, reg.brokerpassword);
  const channel = await connection.createChannel();
  await channel.assertExchange('amq.topic', 'topic', { durable: true, autoDelete: false });
  await channel.assertQueue(queue, { durable: false, autoDelete: true });
  await channel.bindQueue(queue, 'amq.topic', `${reg.deviceid}.#`);
  await channel.consume(
    queue,
    (message) => {
      const address = message && parseRequestRoutingKey(message.fields.routingKey);
      if (!message || !address) return;
      const response = board.respond(address.api, message.content);
      if (response.kind !== 'reply') return;
      channel.publish('amq.topic', `server.${reg.deviceid}.${address.api}`, response.body);
    },
    { noAck: true },
  );
  return { connection, channel };
}

/** Runs `operation` on a fresh channel of `connection`; resolves with how the broker answered. */
async function outcome(connection: ChannelModel, operation: (channel: Channel) => Promise<unknown>): Promise<string> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await operation(channel);
    await channel.close();
    return 'ok';
  } catch (error) {
    return /\b[A-Z]+_[A-Z_]+\b/.exec(String(error))?.[0] ?? String(error);
  }
}

describe("libpyiotcloud's Pika AMQP device (e2e: no client certificate, PLAIN, real broker)", () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let pika: { connection: ChannelModel; channel: Channel };
  let other: ConnectedDevice;
  let device: LegacyRegistration;
  let otherReg: LegacyRegistration;
  let token: string;
  let secret: string;
  const username = uniqueName('pika');
  const password = 'legacy-password-1';

  const post = async <T>(path: string, body: object) =>
    (await request<T>(gateway.baseUrl, 'POST', path, { body })).body;
  const rest = (method: string, path: string, body?: object) =>
    request(gateway.baseUrl, method, `/devices/${device.devicename}${path}`, { token, body });
  const legacy = (method: 'GET' | 'POST', api: string, params: object = {}) =>
    request(gateway.baseUrl, method, `/${api}`, {
      body: { username, secret, devicename: device.devicename, ...params },
    });

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
    await post('/signup', { username, password });
    secret = (await post<{ secret: string }>('/login', { username, password })).secret;
    token = (await post<{ accessToken: string }>('/auth/login', { username, password })).accessToken;
    device = await post<LegacyRegistration>('/register_device', { username, secret, devicename: 'pika' });
    otherReg = await post<LegacyRegistration>('/register_device', { username, secret, devicename: 'other' });
    // Another device, online with its certificate, so its queue exists.
    other = new AmqpDevice({
      deviceId: otherReg.deviceid,
      certificatePem: otherReg.cert,
      privateKeyPem: otherReg.pkey,
      caPem: CA_PEM,
      host: 'localhost',
      port: AMQP_PORT,
      logger: silentLogger,
    });
    await other.start();
  });
  afterAll(async () => {
    await pika?.connection.close().catch(() => undefined);
    await other?.stop();
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('connects the way the Pika device does: no certificate, PLAIN, amq.topic declared non-passively', async () => {
    pika = await startPikaDevice(device);
    expect((await rest('GET', '/status')).body).toEqual({ status: 'running' });
  });

  it('serves every device API through the REST routes', async () => {
    const expectations: [string, string, object | undefined, object][] = [
      ['GET', '/status', undefined, { status: 'running' }],
      ['PUT', '/gpio/3', { value: 1 }, { number: 3, value: 1 }],
      ['GET', '/gpio/3', undefined, { number: 3, value: 1 }],
      ['PUT', '/rtc', { value: 1_700_000_000 }, { value: 1_700_000_000 }],
      ['GET', '/mac', undefined, { value: '00:11:22:33:44:55' }],
      ['PUT', '/mac', { value: '02:AA:BB:CC:DD:EE' }, { value: '02:aa:bb:cc:dd:ee' }],
      ['GET', '/ip', undefined, { value: '192.168.1.50' }],
      ['GET', '/subnet', undefined, { value: '255.255.255.0' }],
      ['GET', '/gateway', undefined, { value: '192.168.1.1' }],
      ['POST', '/uart', { data: 'hello, Pika' }, { data: 'hello, Pika' }],
      ['PUT', '/status', { status: 'restart' }, { status: 'restarting' }],
    ];
    for (const [method, path, body, reply] of expectations) {
      const res = await rest(method, path, body);
      expect({ method, path, status: res.status, body: res.body }).toEqual({ method, path, status: 200, body: reply });
    }
    const rtc = (await rest('GET', '/rtc')).body as { value: number };
    expect(rtc.value).toBeGreaterThanOrEqual(1_700_000_000);
    expect(rtc.value).toBeLessThan(1_700_000_005);
  });

  it('serves every device API through the legacy routes', async () => {
    const expectations: ['GET' | 'POST', string, object, object][] = [
      ['GET', 'get_status', {}, { status: 'running' }],
      ['POST', 'set_gpio', { number: 4, value: 1 }, { number: 4, value: 1 }],
      ['GET', 'get_gpio', { number: 4 }, { number: 4, value: 1 }],
      ['POST', 'set_rtc', { value: 1_600_000_000 }, { value: 1_600_000_000 }],
      ['POST', 'set_mac', { value: '02:00:00:00:00:01' }, { value: '02:00:00:00:00:01' }],
      ['GET', 'get_mac', {}, { value: '02:00:00:00:00:01' }],
      ['GET', 'get_ip', {}, { value: '192.168.1.50' }],
      ['GET', 'get_subnet', {}, { value: '255.255.255.0' }],
      ['GET', 'get_gateway', {}, { value: '192.168.1.1' }],
      ['POST', 'write_uart', { data: 'Hello World' }, { data: 'Hello World' }],
      ['POST', 'set_status', { status: 'restart' }, { status: 'restarting' }],
    ];
    for (const [method, api, params, reply] of expectations) {
      const res = await legacy(method, api, params);
      expect({ api, status: res.status, body: res.body }).toEqual({ api, status: 200, body: reply });
    }
    const rtc = (await legacy('GET', 'get_rtc')).body as { value: number };
    expect(rtc.value).toBeGreaterThanOrEqual(1_600_000_000);
    expect(rtc.value).toBeLessThan(1_600_000_005);
  });

  it('refuses another device’s password, and any account but a device without a certificate', async () => {
    const refused = async (user: string, pass: string) =>
      connectWithoutCertificate(user, pass).then(
        async (connection) => {
          await connection.close();
          return 'connected';
        },
        // 403 at login; or, after a login, the broker closing the connection instead of opening the
        // vhost (amqplib does not pass on its NOT_ALLOWED text there).
        (error: unknown) =>
          /ACCESS[-_]REFUSED|\b403\b|Expected ConnectionOpenOk; got <ConnectionClose/.test(String(error))
            ? 'refused'
            : error,
      );
    expect(await refused(device.deviceid, otherReg.brokerpassword)).toBe('refused');
    expect(await refused(otherReg.deviceid, device.brokerpassword)).toBe('refused');
    // Service accounts log in only by certificate (they have no password); whatever is tried is refused.
    // Both the account names (the certificates' subjects) and their bare CNs.
    for (const service of ['CN=svc.api-gateway', 'CN=svc.device-command', 'svc.api-gateway', 'svc.device-command']) {
      expect(await refused(service, '')).toBe('refused');
      expect(await refused(service, device.brokerpassword)).toBe('refused');
    }
    // Nor the accounts of old (libpyiotcloud's shared guest/guest) or ones that were never there.
    expect(await refused('guest', 'guest')).toBe('refused');
    expect(await refused('nobody', 'whatever-password')).toBe('refused');
    // The administrator's real password does not open an AMQP connection either.
    expect(await refused(process.env.BROKER_ADMIN_USER ?? '', process.env.BROKER_ADMIN_PASSWORD ?? '')).toBe('refused');
  });

  it('a service still logs in with its certificate (EXTERNAL)', async () => {
    const tls = loadServiceTls(CERTS_DIR, 'api-gateway');
    const connection = await amqplib.connect(
      { protocol: 'amqps', hostname: 'localhost', port: AMQP_PORT },
      {
        ca: CA_PEM,
        cert: tls.clientCertPem,
        key: tls.clientKeyPem,
        servername: 'localhost',
        credentials: amqplib.credentials.external(),
      },
    );
    try {
      // Logged in as the service its certificate names, and able to work.
      const channel = await connection.createChannel();
      await expect(channel.checkExchange('amq.topic')).resolves.toBeDefined();
    } finally {
      await connection.close();
    }
  });

  it('lets the device re-declare amq.topic as it is, but not change, delete or create exchanges', async () => {
    const { connection } = pika;
    expect(await outcome(connection, (c) => c.assertExchange('amq.topic', 'topic', { durable: true }))).toBe('ok');
    expect(await outcome(connection, (c) => c.assertExchange('amq.topic', 'direct', { durable: true }))).toBe(
      'PRECONDITION_FAILED',
    );
    expect(await outcome(connection, (c) => c.assertExchange('amq.topic', 'topic', { durable: false }))).toBe(
      'PRECONDITION_FAILED',
    );
    expect(await outcome(connection, (c) => c.deleteExchange('amq.topic'))).toBe('ACCESS_REFUSED');
    expect(await outcome(connection, (c) => c.assertExchange(`legacy-${device.deviceid}`, 'topic'))).toBe(
      'ACCESS_REFUSED',
    );
    expect(await outcome(connection, (c) => c.assertExchange('amq.direct', 'direct', { durable: true }))).toBe(
      'ACCESS_REFUSED',
    );
    expect(await outcome(connection, (c) => c.deleteExchange('amq.direct'))).toBe('ACCESS_REFUSED');
  });

  it('refuses binding another device’s routing key, and reading or declaring another device’s queue', async () => {
    const { connection } = pika;
    const own = `mqtt-subscription-${device.deviceid}qos1`;
    const foreign = `mqtt-subscription-${otherReg.deviceid}qos1`;
    expect(await outcome(connection, (c) => c.bindQueue(own, 'amq.topic', `${otherReg.deviceid}.#`))).toBe(
      'ACCESS_REFUSED',
    );
    expect(await outcome(connection, (c) => c.bindQueue(own, 'amq.topic', '#'))).toBe('ACCESS_REFUSED');
    expect(await outcome(connection, (c) => c.consume(foreign, () => undefined))).toBe('ACCESS_REFUSED');
    expect(await outcome(connection, (c) => c.get(foreign))).toBe('ACCESS_REFUSED');
    expect(await outcome(connection, (c) => c.assertQueue(foreign, { durable: false, autoDelete: true }))).toBe(
      'ACCESS_REFUSED',
    );
    // Nor may it publish another device's replies.
    expect(
      await outcome(connection, async (c) => {
        c.publish('amq.topic', `server.${otherReg.deviceid}.get_status`, Buffer.from('{"status":"running"}'));
        // A refused publish closes the channel; a round trip after it surfaces that.
        await c.checkQueue(own);
      }),
    ).toBe('ACCESS_REFUSED');
    // The device's own connection is unharmed by its refused attempts.
    expect((await rest('GET', '/status')).body).toEqual({ status: 'running' });
  });

  it('MQTT without a certificate: the device’s own password only, reaching the same topics', async () => {
    // RabbitMQ's TLS settings are per node, not per listener: the MQTTS listener admits the same
    // certificate-less password login (docs/security.md). No credentials, a missing or wrong
    // password, or another device's identity are refused.
    await expect(mqttConnect({ clientId: device.deviceid })).rejects.toThrow();
    await expect(mqttConnect({ clientId: device.deviceid, username: device.deviceid })).rejects.toThrow();
    await expect(
      mqttConnect({ clientId: device.deviceid, username: device.deviceid, password: 'wrong-password' }),
    ).rejects.toThrow();
    await expect(
      mqttConnect({
        clientId: otherReg.deviceid,
        username: device.deviceid,
        password: device.brokerpassword,
      }),
    ).rejects.toThrow();
    const client = await mqttConnect({
      clientId: device.deviceid,
      username: device.deviceid,
      password: device.brokerpassword,
    });
    try {
      // QoS 0: its QoS 1 queue is the Pika device's, declared with other arguments.
      expect((await client.subscribeAsync(`${device.deviceid}/#`, { qos: 0 }))[0].qos).toBe(0);
      const foreign = await client.subscribeAsync(`${otherReg.deviceid}/#`, { qos: 0 }).then(
        (g) => g[0].qos,
        () => 128,
      );
      expect(foreign).toBe(128);
    } finally {
      client.end(true);
    }
  });
});
