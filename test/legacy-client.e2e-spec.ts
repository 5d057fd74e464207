import { INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { ConnectedDevice, MqttDevice, silentLogger } from '../apps/device-simulator/src';
import { CA_PEM, CERTS_DIR, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, uniqueName } from './support/https-client';

interface PythonCall {
  api: string;
  devicename: string;
  status?: number;
  connection?: string | null;
  reply?: unknown;
  error?: string;
}

/** Longer than Node's 5 s keep-alive timeout: the idle that used to break the old client. */
const IDLE_SECONDS = 6;

/**
 * Sends `requests` pipelined on one TLS connection and collects everything the
 * server sends until it ends the connection.
 */
function pipelined(port: number, requests: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: CA_PEM }, () => {
      socket.write(requests.join(''));
    });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

function getRequest(path: string, body: object): string {
  const json = JSON.stringify(body);
  return (
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`
  );
}

describe("libpyiotcloud's own client (e2e: Python http.client, one connection, real stack)", () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let device: ConnectedDevice;
  const username = uniqueName('pyclient');
  const password = 'legacy-password-1';
  let secret: string;
  let port: number;

  const legacy = async (path: string, body: object) =>
    (await request<Record<string, string>>(gateway.baseUrl, 'POST', path, { body })).body;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
    port = Number(new URL(gateway.baseUrl).port);
    await legacy('/signup', { username, password });
    secret = (await legacy('/login', { username, password })).secret;
    for (const devicename of ['online', 'offline']) {
      const reg = await legacy('/register_device', { username, secret, devicename });
      if (reg.status !== 'OK') throw new Error(`register ${devicename}: ${JSON.stringify(reg)}`);
      if (devicename === 'online') {
        device = new MqttDevice({
          deviceId: reg.deviceid,
          certificatePem: reg.cert,
          privateKeyPem: reg.pkey,
          caPem: reg.ca,
          host: 'localhost',
          port: Number(process.env.MQTT_PORT ?? 8883),
          logger: silentLogger,
        });
        await device.start();
      }
    }
  });
  afterAll(async () => {
    await device?.stop();
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('legacy routes answer `Connection: close` and then close the connection; the modern API keeps it alive', async () => {
    const body = { username, secret, devicename: 'online' };
    const legacyAnswers = await pipelined(port, [getRequest('/get_status', body), getRequest('/get_status', body)]);
    // Two requests were pipelined; the server answered the first and closed the connection.
    expect(legacyAnswers.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    expect(legacyAnswers).toMatch(/^HTTP\/1\.1 200 /);
    expect(legacyAnswers).toMatch(/\r\nConnection: close\r\n/i);
    expect(legacyAnswers).toMatch(/\{"status":"running"\}$/);

    const modern = await request(gateway.baseUrl, 'GET', '/health');
    expect(modern.headers.connection).toBe('keep-alive');
  });

  it('one http.client connection survives an unread 400 body and a 6 s idle', async () => {
    const config = {
      host: 'localhost',
      port,
      ca: path.join(CERTS_DIR, 'rootca.pem'),
      username,
      secret,
      online: 'online',
      offline: 'offline',
      idle_seconds: IDLE_SECONDS,
    };
    const { stdout } = await promisify(execFile)(
      'python3',
      [path.join(__dirname, 'support', 'legacy_http_client.py'), JSON.stringify(config)],
      { timeout: 50_000 },
    );
    const { calls } = JSON.parse(stdout) as { calls: PythonCall[] };
    expect(calls).toEqual([
      // Its body ("Device is not running!") is never read by the client.
      { api: 'get_status', devicename: 'offline', status: 400, connection: 'close' },
      { api: 'get_status', devicename: 'online', status: 200, connection: 'close', reply: { status: 'running' } },
      { api: 'set_gpio', devicename: 'online', status: 200, connection: 'close', reply: { number: 2, value: 1 } },
      // After the idle:
      { api: 'get_gpio', devicename: 'online', status: 200, connection: 'close', reply: { number: 2, value: 1 } },
      { api: 'get_status', devicename: 'online', status: 200, connection: 'close', reply: { status: 'running' } },
    ]);
  }, 60_000);
});
