import { INestApplication } from '@nestjs/common';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { connectDevice, registerDevice } from './support/simulated-devices';

interface CommandBody {
  commandId: string;
  deviceId: string;
  deviceName: string;
  userId: string;
  api: string;
  params: Record<string, unknown>;
  outcome: string;
  reply: Record<string, unknown> | null;
  requestedAt: string;
  answeredAt: string;
  totalMs: number;
  deviceMs: number | null;
}

interface Page {
  items: CommandBody[];
  nextBefore: string | null;
}

describe('command history (e2e: REST and legacy commands recorded off the request path)', () => {
  let deviceCommand: INestApplication;
  let gateway: RunningGateway;
  let sim: ConnectedDevice | undefined;

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand();
    gateway = await startGateway();
  });

  afterAll(async () => {
    await sim?.stop();
    await gateway.close();
    await deviceCommand.close();
    closeClient();
  });

  it('records every command with its id, user, api, params, outcome, reply and timings; pages and filters', async () => {
    const username = uniqueName('historian');
    const token = await signUpAndLogIn(gateway.baseUrl, username);
    const call = <T>(method: string, path: string, body?: unknown) =>
      request<T>(gateway.baseUrl, method, path, { token, body });
    const reg = await registerDevice(gateway.baseUrl, token, 'lamp');
    sim = await connectDevice(reg, 'mqtt');

    const ids: string[] = [];
    const run = async (method: string, path: string, body: unknown, status: number) => {
      const res = await call(method, path, body);
      expect(res.status).toBe(status);
      const id = res.headers['x-command-id'];
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      ids.push(id as string);
      return res;
    };
    await run('GET', '/devices/lamp/status', undefined, 200);
    await run('PUT', '/devices/lamp/gpio/3', { value: 1 }, 200);
    // The legacy routes get (and record) command ids too.
    const legacyLogin = await request<{ secret: string }>(gateway.baseUrl, 'POST', '/login', {
      body: { username, password: 'correct-horse-battery' },
    });
    const secret = legacyLogin.body.secret;
    const legacy = await request(gateway.baseUrl, 'GET', '/get_gpio', {
      body: { username, secret, devicename: 'lamp', number: 3 },
    });
    expect(legacy.status).toBe(200);
    ids.push(legacy.headers['x-command-id'] as string);
    await sim.stop();
    sim = undefined;
    // The broker notices the disconnect a moment later: wait until the platform knows it (presence).
    const offlineBy = Date.now() + 15_000;
    while ((await call<{ online: boolean }>('GET', '/devices/lamp')).body.online && Date.now() < offlineBy) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await run('PUT', '/devices/lamp/gpio/4', { value: 1 }, 503); // DEVICE_OFFLINE, recorded too

    const history = async (query = '') => (await call<Page>('GET', `/devices/lamp/commands${query}`)).body;
    const deadline = Date.now() + 15_000;
    while ((await history()).items.length < ids.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const all = await history();
    expect(all.items.map((c) => c.commandId)).toEqual([...ids].reverse());
    expect(all.nextBefore).toBeNull();
    const [offline, legacyRead, set, status] = all.items;
    expect(status).toMatchObject({
      deviceId: reg.deviceId,
      deviceName: 'lamp',
      api: 'get_status',
      params: {},
      outcome: 'OK',
      reply: { status: 'running' },
    });
    expect(set).toMatchObject({ api: 'set_gpio', params: { number: 3, value: 1 }, reply: { number: 3, value: 1 } });
    expect(legacyRead).toMatchObject({ api: 'get_gpio', outcome: 'OK', reply: { number: 3, value: 1 } });
    expect(offline).toMatchObject({ api: 'set_gpio', outcome: 'DEVICE_OFFLINE', reply: null, deviceMs: null });
    for (const c of all.items) {
      expect(c.userId).toBe(status.userId);
      expect(Date.parse(c.answeredAt)).toBeGreaterThanOrEqual(Date.parse(c.requestedAt));
      expect(c.totalMs).toBeGreaterThanOrEqual(0);
    }
    expect(status.deviceMs).toBeGreaterThan(0);
    expect(status.totalMs).toBeGreaterThanOrEqual(status.deviceMs!);

    // Cursor paging: two pages of 2, newest first, nothing repeated or lost.
    const first = await history('?limit=2');
    expect(first.items.map((c) => c.commandId)).toEqual([ids[3], ids[2]]);
    const second = await history(`?limit=2&before=${first.nextBefore}`);
    expect(second.items.map((c) => c.commandId)).toEqual([ids[1], ids[0]]);
    expect((await history(`?limit=2&before=${second.nextBefore}`)).items).toEqual([]);

    expect((await history('?api=set_gpio')).items.map((c) => c.commandId)).toEqual([ids[3], ids[1]]);
    expect((await history('?outcome=DEVICE_OFFLINE')).items.map((c) => c.commandId)).toEqual([ids[3]]);
    expect((await call('GET', '/devices/lamp/commands?limit=0')).status).toBe(400);
    expect((await call('GET', '/devices/lamp/commands?api=format_disk')).status).toBe(400);

    const one = await call<CommandBody>('GET', `/devices/lamp/commands/${ids[1]}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(set);
    const missing = await call<{ code: string }>('GET', `/devices/lamp/commands/${'0'.repeat(24)}`);
    expect([missing.status, missing.body.code]).toEqual([404, 'COMMAND_NOT_FOUND']);

    // Another user cannot read this device's history.
    const other = await signUpAndLogIn(gateway.baseUrl, uniqueName('other'));
    const foreign = await request<{ code: string }>(gateway.baseUrl, 'GET', '/devices/lamp/commands', { token: other });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
  });
});
