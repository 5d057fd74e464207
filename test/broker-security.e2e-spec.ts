import * as amqplib from 'amqplib';
import { IClientOptions, MqttClient } from 'mqtt';
import { createCertificateAuthority, issueDeviceCertificate, loadServiceTls } from '@app/pki';
import { CA_PEM, CERTS_DIR, RunningGateway, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { mqttConnect } from './support/mqtt-client';
import { GATEWAY_METRICS_URL, sample } from './support/prometheus';
import { Registration } from './support/simulated-devices';

type Reg = Registration & { brokerPassword: string };
const AMQP_PORT = Number(process.env.AMQP_PORT ?? 5671);

function asDevice(reg: Reg, extra: Partial<IClientOptions> = {}): Promise<MqttClient> {
  return mqttConnect({ clientId: reg.deviceId, cert: reg.certificate, key: reg.privateKey, ...extra });
}

/** Resolves true when the broker closes the connection within `ms`. */
function closedWithin(client: MqttClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('broker-level device security (e2e, real broker)', () => {
  let gateway: RunningGateway;
  let token: string;
  let a: Reg;
  let b: Reg;
  const clients: MqttClient[] = [];
  const track = (c: MqttClient) => (clients.push(c), c);
  const register = async (): Promise<Reg> => {
    const res = await request<Reg>(gateway.baseUrl, 'POST', '/devices', {
      token,
      body: { name: uniqueName('sec').slice(0, 60), keyType: 'ec' },
    });
    if (res.status !== 201) throw new Error(res.text);
    return res.body;
  };

  beforeAll(async () => {
    gateway = await startGateway();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('sec-owner'));
    a = await register();
    b = await register();
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await gateway.close();
    closeClient();
  });

  it('a device logs in with its certificate alone, and subscribes to its own topics', async () => {
    const client = track(await asDevice(a));
    const granted = await client.subscribeAsync(`${a.deviceId}/#`, { qos: 1 });
    expect(granted[0].qos).toBe(1);
  });

  it('device A cannot subscribe to device B’s topics: the broker refuses', async () => {
    const client = track(await asDevice(a));
    const outcome = await client.subscribeAsync(`${b.deviceId}/#`, { qos: 1 }).then(
      (granted) => (granted[0].qos === 128 ? 'refused' : 'granted'),
      () => 'refused',
    );
    const closed = await closedWithin(client, 2000);
    expect(outcome === 'refused' || closed).toBe(true);
    expect(outcome).not.toBe('granted');
  });

  it('device A cannot publish on device B’s topics (neither B’s replies nor B’s requests)', async () => {
    for (const topic of [`server/${b.deviceId}/get_gpio`, `${b.deviceId}/set_gpio`]) {
      const client = track(await asDevice(a));
      const published = client.publishAsync(topic, '{"number":1,"value":1}', { qos: 1 }).then(
        () => 'acked',
        () => 'refused',
      );
      const closed = await closedWithin(client, 3000);
      expect({ topic, closed }).toEqual({ topic, closed: true });
      await expect(Promise.race([published, new Promise((r) => setTimeout(() => r('no ack'), 100))])).resolves.not.toBe(
        'acked',
      );
    }
  });

  it('a certificate from another CA fails the TLS handshake', async () => {
    const rogue = await createCertificateAuthority({ commonName: 'Rogue CA' });
    const cert = await issueDeviceCertificate({ ca: rogue, deviceId: a.deviceId, keyType: 'ec' });
    await expect(
      mqttConnect({ clientId: a.deviceId, cert: cert.certificatePem, key: cert.privateKeyPem }),
    ).rejects.toThrow();
  });

  it('without a client certificate, nothing but a device’s own broker password logs in', async () => {
    // test/legacy-amqp-device.e2e-spec.ts covers certificate-less password logins in full.
    await expect(mqttConnect({ clientId: a.deviceId })).rejects.toThrow();
    await expect(
      mqttConnect({ clientId: a.deviceId, username: a.deviceId, password: b.brokerPassword }),
    ).rejects.toThrow();
    track(await mqttConnect({ clientId: a.deviceId, username: a.deviceId, password: a.brokerPassword }));
  });

  it('a client id other than the certificate’s identity is refused', async () => {
    await expect(asDevice(a, { clientId: b.deviceId })).rejects.toThrow(/not authori[sz]ed|closed/i);
  });

  it('the per-device broker password works (with the certificate), a wrong one does not', async () => {
    track(
      await asDevice(a, { username: a.deviceId, password: a.brokerPassword, protocolId: 'MQIsdp', protocolVersion: 3 }),
    );
    await expect(asDevice(a, { username: a.deviceId, password: 'wrong-password' })).rejects.toThrow();
    await expect(asDevice(a, { username: b.deviceId, password: a.brokerPassword })).rejects.toThrow();
  });

  it('the password "none" logs nobody in (RabbitMQ 4.0 sends certificate logins as password=none)', async () => {
    // With its own certificate, device A claims B's identity by username and the literal password.
    await expect(asDevice(a, { clientId: b.deviceId, username: b.deviceId, password: 'none' })).rejects.toThrow();
    await expect(asDevice(a, { username: a.deviceId, password: 'none' })).rejects.toThrow();
    // Over MQTT 5 too.
    await expect(
      asDevice(a, { clientId: b.deviceId, username: b.deviceId, password: 'none', protocolVersion: 5 }),
    ).rejects.toThrow();
  });

  it('a certificate login asks the platform its /user question once (infra/rabbitmq/rabbit_auth_backend_http_certlogin.erl)', async () => {
    const userChecks = async (): Promise<number> =>
      sample(await (await fetch(GATEWAY_METRICS_URL)).text(), 'iotcloud_broker_auth_decisions_total', {
        check: 'user',
        result: 'allow',
      }) ?? 0;
    const fresh = await register(); // never logged in: nothing of it in the broker's auth cache
    const before = await userChecks();
    const client = track(await asDevice(fresh));
    expect(client.connected).toBe(true);
    expect((await userChecks()) - before).toBe(1);
  });

  it('a revoked device is dropped within 5 s and cannot come back, by certificate or password', async () => {
    const victim = await register();
    const client = track(await asDevice(victim));
    const closed = closedWithin(client, 5000);
    const revokedAt = Date.now();
    const del = await request(gateway.baseUrl, 'DELETE', `/devices/${victim.name}`, { token });
    expect(del.status).toBe(204);
    await expect(closed).resolves.toBe(true);
    // The broker may still admit it on a cached answer until its auth cache expires (2 s here);
    // the revocation sweeps close such a connection again. After that, every login is refused.
    const cacheTtl = Number(process.env.BROKER_AUTH_CACHE_TTL_MS ?? 2000);
    await new Promise((r) => setTimeout(r, Math.max(0, revokedAt + cacheTtl + 500 - Date.now())));
    await expect(asDevice(victim)).rejects.toThrow();
    await expect(asDevice(victim, { username: victim.deviceId, password: victim.brokerPassword })).rejects.toThrow();
  });

  it('re-registering a name issues a new certificate; the old one stops working', async () => {
    const first = await register();
    expect((await request(gateway.baseUrl, 'DELETE', `/devices/${first.name}`, { token })).status).toBe(204);
    const again = await request<Reg>(gateway.baseUrl, 'POST', '/devices', {
      token,
      body: { name: first.name, keyType: 'ec' },
    });
    expect(again.status).toBe(201);
    expect(again.body.certificate).not.toBe(first.certificate);
    await new Promise((r) => setTimeout(r, 2500)); // past the broker's auth cache
    await expect(asDevice(first)).rejects.toThrow();
    track(await asDevice(again.body));
  });

  it('AMQP devices log in by certificate (EXTERNAL) and reach only their own queue', async () => {
    const conn = await amqplib.connect(
      { protocol: 'amqps', hostname: 'localhost', port: AMQP_PORT },
      {
        ca: CA_PEM,
        cert: a.certificate,
        key: a.privateKey,
        credentials: amqplib.credentials.external(),
        servername: 'localhost',
      },
    );
    try {
      const own = await conn.createChannel();
      await own.assertQueue(`mqtt-subscription-${a.deviceId}qos1`, { durable: false, autoDelete: true });
      await own.bindQueue(`mqtt-subscription-${a.deviceId}qos1`, 'amq.topic', `${a.deviceId}.#`);
      const foreign = await conn.createChannel();
      foreign.on('error', () => undefined);
      await expect(
        foreign.assertQueue(`mqtt-subscription-${b.deviceId}qos1`, { durable: false, autoDelete: true }),
      ).rejects.toThrow(/ACCESS_REFUSED/);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  it('the broker has no guest account', async () => {
    const tls = loadServiceTls(CERTS_DIR, 'api-gateway');
    await expect(
      amqplib.connect(`amqps://guest:guest@localhost:${AMQP_PORT}`, {
        ca: CA_PEM,
        cert: tls.clientCertPem,
        key: tls.clientKeyPem,
        servername: 'localhost',
      }),
    ).rejects.toThrow(/ACCESS_REFUSED|403/);
  });
});
