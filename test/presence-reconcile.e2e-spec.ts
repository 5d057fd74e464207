import { INestApplication } from '@nestjs/common';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { PresenceTracker } from '../apps/api-gateway/src/presence/presence.tracker';
import {
  RunningGateway,
  startDeviceCommand,
  startGateway,
  startGatewayReplica,
  startGatewayWithout,
} from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { connectDevice, registerDevice } from './support/simulated-devices';

interface DeviceBody {
  name: string;
  online: boolean;
  transport: string | null;
  disconnectReason: string | null;
}

describe('presence after a platform restart (e2e: reconciliation with the broker connection list)', () => {
  let deviceCommand: INestApplication;
  const gateways: RunningGateway[] = [];
  const devices: ConnectedDevice[] = [];

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
  });

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    for (const gateway of gateways.reverse()) await gateway.close().catch(() => undefined);
    await deviceCommand.close();
    closeClient();
  });

  it('converges on what happened while no gateway tracked presence', async () => {
    const first = await startGateway();
    gateways.push(first);
    const token = await signUpAndLogIn(first.baseUrl, uniqueName('reconciled'));
    const stays = await registerDevice(first.baseUrl, token, 'stays');
    const leaves = await registerDevice(first.baseUrl, token, 'leaves');
    const joins = await registerDevice(first.baseUrl, token, 'joins');
    devices.push(await connectDevice(stays, 'mqtt'));
    const leaving = await connectDevice(leaves, 'amqp');
    const list = async (url: string) =>
      (await request<DeviceBody[]>(url, 'GET', '/devices', { token })).body.map((d) => [d.name, d.online]);
    const until = async (url: string, expected: unknown) => {
      const deadline = Date.now() + 30_000;
      while (JSON.stringify(await list(url)) !== JSON.stringify(expected)) {
        if (Date.now() > deadline)
          throw new Error(`never ${JSON.stringify(expected)}: ${JSON.stringify(await list(url))}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await until(first.baseUrl, [
      ['joins', false],
      ['leaves', true],
      ['stays', true],
    ]);

    // The platform goes down; a gateway that answers the broker but tracks nothing stands in,
    // so devices can still log in while their connects and disconnects go unseen.
    await first.close();
    const blind = await startGatewayWithout([PresenceTracker]);
    gateways.push(blind);
    await leaving.stop();
    devices.push(await connectDevice(joins, 'mqtt'));
    expect(await list(blind.baseUrl)).toEqual([
      ['joins', false],
      ['leaves', true],
      ['stays', true],
    ]);

    // A tracking gateway starts: it reconciles with the broker's connection list.
    const started = Date.now();
    const restarted = await startGatewayReplica();
    gateways.push(restarted);
    await until(restarted.baseUrl, [
      ['joins', true],
      ['leaves', false],
      ['stays', true],
    ]);
    process.stderr.write(`presence converged ${Date.now() - started} ms after the gateway started\n`);
    const leavesNow = (await request<DeviceBody>(restarted.baseUrl, 'GET', '/devices/leaves', { token })).body;
    expect(leavesNow.disconnectReason).toBe('not connected at reconciliation');
    const joinsNow = (await request<DeviceBody>(restarted.baseUrl, 'GET', '/devices/joins', { token })).body;
    expect(joinsNow.transport).toBe('mqtt');
  });
});
