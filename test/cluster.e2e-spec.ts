import { INestApplication } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { MqttDevice, silentLogger } from '../apps/device-simulator/src';
import { CA_PEM, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { ROOT } from './support/infrastructure';
import { Registration, registerDevice } from './support/simulated-devices';

/**
 * A 3-node local cluster of its own (node names and data apart from the e2e broker's; every
 * port = the .env one + 100, and + 10 per node), both apps given AMQP_URLS and quorum shard
 * queues, a device given every node's MQTT port. One node is stopped cleanly: calls go on.
 */
const PORT_OFFSET = 100;
const portOf = (name: string, fallback: number): number => Number(process.env[name] ?? fallback) + PORT_OFFSET;
const [nodeName, nodeHost] = (process.env.BROKER_NODE_NAME ?? 'iotcloud@localhost').split('@');
const DATA_DIR = path.join(ROOT, '.local', 'cluster-test');
const clusterEnv = {
  ...process.env,
  BROKER_NODE_NAME: `${nodeName}-ct@${nodeHost}`,
  AMQP_PORT: String(portOf('AMQP_PORT', 5671)),
  MQTT_PORT: String(portOf('MQTT_PORT', 8883)),
  BROKER_MANAGEMENT_PORT: String(portOf('BROKER_MANAGEMENT_PORT', 15671)),
  BROKER_DIST_PORT: String(portOf('BROKER_DIST_PORT', 25671)),
  BROKER_PROMETHEUS_PORT: String(portOf('BROKER_PROMETHEUS_PORT', 15692)),
  BROKER_DATA_DIR: path.join(DATA_DIR, 'rabbitmq'),
  BROKER_CLUSTER_SIZE: '3',
};
const mqttPort = (node: number): number => Number(clusterEnv.MQTT_PORT) + 10 * (node - 1);

function broker(...args: string[]): string {
  return execFileSync('bash', [path.join(ROOT, 'infra', 'broker.sh'), ...args], {
    cwd: ROOT,
    env: clusterEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
}

describe('a 3-node broker cluster (e2e, real nodes)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  let reg: Registration;
  let sim: MqttDevice;
  const call = <T = Record<string, unknown>>(method: string, urlPath: string) =>
    request<T>(gateway.baseUrl, method, urlPath, { token });

  beforeAll(async () => {
    broker('start');
    process.env.AMQP_URLS = broker('urls').trim();
    process.env.DEVICE_COMMAND_QUEUE_TYPE = 'quorum';
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
    token = await signUpAndLogIn(gateway.baseUrl, uniqueName('cluster'));
    reg = await registerDevice(gateway.baseUrl, token, uniqueName('cluster-dev').slice(0, 60));
    sim = new MqttDevice({
      deviceId: reg.deviceId,
      name: reg.name,
      certificatePem: reg.certificate,
      privateKeyPem: reg.privateKey,
      caPem: CA_PEM,
      host: 'localhost',
      port: mqttPort(1),
      failover: [2, 3].map((node) => ({ host: 'localhost', port: mqttPort(node) })),
      reconnectMinDelayMs: 200,
      reconnectMaxDelayMs: 2000,
      logger: silentLogger,
    });
    await sim.start();
  }, 400_000);

  afterAll(async () => {
    await sim?.stop();
    await gateway?.close();
    await deviceCommand?.close();
    closeClient();
    delete process.env.AMQP_URLS;
    delete process.env.DEVICE_COMMAND_QUEUE_TYPE;
    broker('stop');
    rmSync(DATA_DIR, { recursive: true, force: true });
  }, 120_000);

  it('calls keep working after one node is stopped cleanly', async () => {
    sim.device.setGpio(2, 1);
    const before = await call('GET', `/devices/${reg.name}/gpio/2`);
    expect(before.status).toBe(200);
    expect(sim.url).toBe(`mqtts://localhost:${mqttPort(1)}`);

    broker('stop', '--node', '1');
    // While the apps and the device move to the other nodes, a call may fail (503/504).
    const attempt = () =>
      call('GET', `/devices/${reg.name}/gpio/2?timeout=2000`).catch((error: Error) => ({
        status: 0,
        body: { error: error.message },
      }));
    const deadline = Date.now() + 90_000;
    let after = await attempt();
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      after = await attempt();
    }
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ number: 2, value: 1 });
    expect(sim.url).not.toBe(`mqtts://localhost:${mqttPort(1)}`);
    for (const pin of [3, 4, 5]) {
      sim.device.setGpio(pin, (pin % 2) as 0 | 1);
      const res = await call('GET', `/devices/${reg.name}/gpio/${pin}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ number: pin, value: pin % 2 });
    }
  }, 150_000);
});
