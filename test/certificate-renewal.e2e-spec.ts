// Certificate renewal against the real broker: the device keeps its id, the old
// certificate is cut off (live connection closed, logins refused), the new one works.
import * as amqplib from 'amqplib';
import { INestApplication } from '@nestjs/common';
import { IClientOptions, MqttClient, connect } from 'mqtt';
import { X509Certificate } from 'node:crypto';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { generateEcCsr } from '../bench/csr';
import { CA_PEM, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Registration, connectDevice, registerDevice } from './support/simulated-devices';

const MQTT_URL = `mqtts://localhost:${process.env.MQTT_PORT ?? 8883}`;
const AMQP_PORT = Number(process.env.AMQP_PORT ?? 5671);
const CACHE_TTL_MS = Number(process.env.BROKER_AUTH_CACHE_TTL_MS ?? 2000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Renewed = Registration & { certificateSerial: string; previousCertificateValidUntil?: string };

/** A live broker connection made with one certificate, over MQTT or AMQP (EXTERNAL). */
interface Link {
  closed: Promise<void>;
  end(): Promise<void>;
}

function mqttLink(reg: Registration): Promise<Link> {
  return new Promise((resolve, reject) => {
    const options: IClientOptions = {
      ca: CA_PEM,
      cert: reg.certificate,
      key: reg.privateKey,
      clientId: reg.deviceId,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    };
    const client: MqttClient = connect(MQTT_URL, options);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.once('connect', () => resolve({ closed, end: async () => void client.end(true) }));
    client.once('error', (e) => (client.end(true), reject(e)));
    void closed.then(() => reject(new Error('closed before CONNACK')));
  });
}

async function amqpLink(reg: Registration): Promise<Link> {
  const conn = await amqplib.connect(
    { protocol: 'amqps', hostname: 'localhost', port: AMQP_PORT },
    {
      ca: CA_PEM,
      cert: reg.certificate,
      key: reg.privateKey,
      credentials: amqplib.credentials.external(),
      servername: 'localhost',
    },
  );
  conn.on('error', () => undefined);
  const closed = new Promise<void>((r) => conn.once('close', () => r()));
  // Touch a resource, so the permission checks run as a device's would. Exclusive, as the device's own
  // queue is: it goes with this connection. (A non-exclusive auto-delete queue that never had a consumer
  // would outlive it, and RabbitMQ 4 then refuses the device's exclusive declaration with RESOURCE_LOCKED.)
  try {
    const channel = await conn.createChannel();
    await channel.assertQueue(`mqtt-subscription-${reg.deviceId}qos1`, { exclusive: true });
  } catch (error) {
    await conn.close().catch(() => undefined);
    throw error;
  }
  return { closed, end: () => conn.close().catch(() => undefined) };
}

const links: Record<'mqtt' | 'amqp', (reg: Registration) => Promise<Link>> = { mqtt: mqttLink, amqp: amqpLink };

/** Resolves true when the link closes within `ms`. */
const closedWithin = (link: Link, ms: number) =>
  Promise.race([link.closed.then(() => true), sleep(ms).then(() => false)]);

describe('certificate renewal (e2e, real broker)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  const open: Link[] = [];
  const devices: ConnectedDevice[] = [];
  const track = (link: Link) => (open.push(link), link);
  const renew = (name: string, body: object = { keyType: 'ec' }, query = '', as = token) =>
    request<Renewed>(gateway.baseUrl, 'POST', `/devices/${name}/certificate${query}`, { token: as, body });

  beforeAll(async () => {
    gateway = await startGateway();
    deviceCommand = await startDeviceCommand();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('renew-owner'));
  });
  afterAll(async () => {
    for (const link of open) await link.end();
    for (const device of devices) await device.stop();
    await deviceCommand.close();
    await gateway.close();
    closeClient();
  });

  for (const transport of ['mqtt', 'amqp'] as const) {
    it(`over ${transport}: the old certificate is closed within 5 s and refused, the new one drives the device`, async () => {
      const old = await registerDevice(gateway.baseUrl, token, uniqueName(`renew-${transport}`).slice(0, 60));
      const oldLink = track(await links[transport](old));
      const renewedAt = Date.now();
      const res = await renew(old.name);
      expect(res.status).toBe(201);
      const renewed = res.body;
      expect(renewed.deviceId).toBe(old.deviceId);
      expect(renewed.name).toBe(old.name);
      expect(renewed.certificate).not.toBe(old.certificate);
      expect(renewed.privateKey).toMatch(/PRIVATE KEY/);
      expect(renewed.caCertificate).toBe(CA_PEM);
      expect(renewed.previousCertificateValidUntil).toBeUndefined();
      expect(new X509Certificate(renewed.certificate).subject).toContain(`CN=${old.deviceId}`);

      await expect(closedWithin(oldLink, 5000)).resolves.toBe(true);
      // Past the broker's cached answers, no login with the old certificate succeeds.
      await sleep(Math.max(0, renewedAt + CACHE_TTL_MS + 500 - Date.now()));
      await expect(links[transport](old)).rejects.toThrow();

      const shown = await request<Renewed>(gateway.baseUrl, 'GET', `/devices/${old.name}`, { token });
      expect(shown.body).toMatchObject({ deviceId: old.deviceId, certificateSerial: renewed.certificateSerial });
      const device = await connectDevice(renewed, transport);
      devices.push(device);
      const status = await request(gateway.baseUrl, 'GET', `/devices/${old.name}/status`, { token });
      expect(status).toMatchObject({ status: 200, body: { status: 'running' } });
    });
  }

  it('with graceSeconds the old certificate keeps working until the window ends, then is cut off', async () => {
    const old = await registerDevice(gateway.baseUrl, token, uniqueName('renew-grace').slice(0, 60));
    const oldLink = track(await mqttLink(old));
    const graceMs = 4000;
    const res = await renew(old.name, { keyType: 'ec' }, `?graceSeconds=${graceMs / 1000}`);
    expect(res.status).toBe(201);
    const graceEnd = Date.parse(res.body.previousCertificateValidUntil ?? '');
    expect(graceEnd).toBeGreaterThan(Date.now());
    // Within the window: the old connection stays, the old certificate still logs in, and so does the new one.
    await sleep(CACHE_TTL_MS + 500);
    expect(Date.now()).toBeLessThan(graceEnd);
    await expect(closedWithin(oldLink, 0)).resolves.toBe(false);
    await (await mqttLink(old)).end();
    track(await mqttLink(res.body));
    // After it: closed within 5 s, and refused.
    await expect(closedWithin(oldLink, graceEnd - Date.now() + 5000)).resolves.toBe(true);
    await sleep(Math.max(0, graceEnd + CACHE_TTL_MS + 500 - Date.now()));
    await expect(mqttLink(old)).rejects.toThrow();
    track(await mqttLink(res.body));
  });

  it('renews from a CSR (no key returned), refuses a grace beyond 7 days, and hides other users’ devices', async () => {
    const mine = await registerDevice(gateway.baseUrl, token, uniqueName('renew-csr').slice(0, 60));
    const csr = generateEcCsr('chosen-by-device');
    const res = await renew(mine.name, { csr: csr.csrPem });
    expect(res.status).toBe(201);
    expect(res.body.privateKey).toBeUndefined();
    expect(res.body.deviceId).toBe(mine.deviceId);
    track(await mqttLink({ ...res.body, privateKey: csr.privateKeyPem }));

    const tooLong = await renew(mine.name, { keyType: 'ec' }, '?graceSeconds=604801');
    expect(tooLong).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });

    const stranger = await signUpAndLogIn(gateway.baseUrl, uniqueName('renew-stranger'));
    const foreign = await renew(mine.name, { keyType: 'ec' }, '', stranger);
    expect(foreign).toMatchObject({ status: 404, body: { code: 'DEVICE_NOT_FOUND' } });
    // Still the CSR's certificate: the stranger changed nothing.
    const shown = await request<Renewed>(gateway.baseUrl, 'GET', `/devices/${mine.name}`, { token });
    expect(shown.body.certificateSerial).toBe(res.body.certificateSerial);
  });
});
