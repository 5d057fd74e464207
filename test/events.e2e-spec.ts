import { INestApplication } from '@nestjs/common';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway, startGatewayReplica } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { connectDevice, registerDevice } from './support/simulated-devices';
import { SseClient } from './support/sse-client';

interface Event {
  id: string;
  type: string;
  ownerId: string;
  deviceId: string;
  deviceName: string;
  data: Record<string, unknown>;
}

interface DeviceBody {
  name: string;
  online: boolean;
  transport: string | null;
  protocolLevel: number | null;
  connectedAt: string | null;
  lastSeenAt: string | null;
  disconnectedAt: string | null;
}

/** Polls until `check` passes (presence is written asynchronously, from the broker's events). */
async function eventually<T>(get: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition never held; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('presence and the event stream (e2e: real broker events, two gateway replicas)', () => {
  let deviceCommand: INestApplication;
  let gatewayA: RunningGateway;
  let gatewayB: RunningGateway;
  const streams: SseClient[] = [];
  const devices: ConnectedDevice[] = [];

  const open = async (baseUrl: string, token: string, headers: Record<string, string> = {}) => {
    const stream = await SseClient.open(baseUrl, token, headers);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gatewayA = await startGateway();
    gatewayB = await startGatewayReplica();
  });

  afterAll(async () => {
    streams.forEach((s) => s.close());
    await Promise.all(devices.map((d) => d.stop()));
    await gatewayB.close();
    await gatewayA.close();
    await deviceCommand.close();
    closeClient();
  });

  it('refuses a stream without a token', async () => {
    const res = await request<{ code: string }>(gatewayA.baseUrl, 'GET', '/events');
    expect(res.status).toBe(401);
    // JSON, as documented for the route's 401 (only its 200 is text/event-stream).
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
  });

  it('streams with the security headers and the request id of every answer', async () => {
    const token = await signUpAndLogIn(gatewayA.baseUrl, uniqueName('headers'));
    const stream = await open(gatewayA.baseUrl, token, { 'x-request-id': 'sse-headers-1' });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['x-request-id']).toBe('sse-headers-1');
    expect(stream.headers['strict-transport-security']).toBeDefined();
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
  });

  it('streams register, connect, command, disconnect, unregister in order, on both replicas, to the owner only', async () => {
    const alice = await signUpAndLogIn(gatewayA.baseUrl, uniqueName('alice'));
    const mallory = await signUpAndLogIn(gatewayA.baseUrl, uniqueName('mallory'));
    const onA = await open(gatewayA.baseUrl, alice);
    const onB = await open(gatewayB.baseUrl, alice);
    const malloryStream = await open(gatewayB.baseUrl, mallory);
    expect([onA.status, onB.status, malloryStream.status]).toEqual([200, 200, 200]);

    // Registered on replica A; alice's stream on replica B must see everything too.
    const reg = await registerDevice(gatewayA.baseUrl, alice, 'lamp');
    const sim = await connectDevice(reg, 'mqtt');
    devices.push(sim);
    const device = (token = alice) => request<DeviceBody>(gatewayB.baseUrl, 'GET', '/devices/lamp', { token });
    const online = await eventually(device, (res) => res.body.online === true);
    expect(online.body).toMatchObject({ online: true, transport: 'mqtt', protocolLevel: 4, disconnectedAt: null });
    expect(Date.parse(online.body.connectedAt!)).not.toBeNaN();

    const listOnline = await request<DeviceBody[]>(gatewayA.baseUrl, 'GET', '/devices?online=true', { token: alice });
    expect(listOnline.body.map((d) => d.name)).toEqual(['lamp']);
    expect((await request(gatewayA.baseUrl, 'GET', '/devices?online=maybe', { token: alice })).status).toBe(400);

    const command = await request(gatewayA.baseUrl, 'PUT', '/devices/lamp/gpio/2', {
      token: alice,
      body: { value: 1 },
    });
    expect(command.status).toBe(200);
    const commandId = command.headers['x-command-id'];
    expect(commandId).toMatch(/^[0-9a-f]{24}$/);

    await sim.stop();
    const offline = await eventually(device, (res) => res.body.online === false);
    expect(Date.parse(offline.body.disconnectedAt!)).not.toBeNaN();
    const listOffline = await request<DeviceBody[]>(gatewayA.baseUrl, 'GET', '/devices?online=false', {
      token: alice,
    });
    expect(listOffline.body.map((d) => d.name)).toEqual(['lamp']);

    expect((await request(gatewayB.baseUrl, 'DELETE', '/devices/lamp', { token: alice })).status).toBe(204);

    const expected = [
      'device.registered',
      'device.connected',
      'command.completed',
      'device.disconnected',
      'device.unregistered',
    ];
    for (const stream of [onA, onB]) {
      await stream.waitFor((events) => events.length >= expected.length);
      const events = stream.events<Event>();
      expect(events.map((e) => e.type)).toEqual(expected);
      expect(new Set(events.map((e) => e.deviceId))).toEqual(new Set([reg.deviceId]));
      expect(events.every((e) => e.deviceName === 'lamp')).toBe(true);
      expect(events[1].data).toMatchObject({ transport: 'mqtt', protocolLevel: 4 });
      expect(events[2].data).toMatchObject({ commandId, api: 'set_gpio', outcome: 'OK' });
      expect(typeof events[2].data.latencyMs).toBe('number');
      // SSE framing: id and event lines repeat the event's id and type.
      expect(stream.messages.map((m) => m.event)).toEqual(expected);
      expect(stream.messages.map((m) => m.id)).toEqual(events.map((e) => e.id));
    }
    expect(onB.events<Event>().map((e) => e.id)).toEqual(onA.events<Event>().map((e) => e.id));

    // Mallory registers a device of her own: she sees it, never alice's; alice never sees hers.
    await registerDevice(gatewayA.baseUrl, mallory, 'lamp');
    await malloryStream.waitFor((events) => events.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything misrouted would have arrived by now
    expect(malloryStream.events<Event>().map((e) => e.type)).toEqual(['device.registered']);
    expect(malloryStream.events<Event>().some((e) => e.deviceId === reg.deviceId)).toBe(false);
    expect(onA.events<Event>()).toHaveLength(expected.length);

    // Reconnecting with Last-Event-ID replays what followed that event, in order, on either replica.
    const first = onA.events<Event>()[0].id;
    for (const gateway of [gatewayA, gatewayB]) {
      const resumed = await open(gateway.baseUrl, alice, { 'last-event-id': first });
      await resumed.waitFor((events) => events.length >= expected.length - 1);
      expect(resumed.events<Event>().map((e) => e.type)).toEqual(expected.slice(1));
    }
  });
});
