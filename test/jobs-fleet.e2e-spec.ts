// A job over 1,000 simulated devices (the fleet size) completes with every result
// recorded, each device having received the command exactly once. The other job behaviours
// (cancel, abort, restarts, events, history) are in jobs.e2e-spec.ts, on a smaller fleet.
import { INestApplication } from '@nestjs/common';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { connectDevice } from './support/simulated-devices';

const DEVICES = 1000;
/** Registrations and connections at once while setting the fleet up. */
const SETUP_CONCURRENCY = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Job {
  id: string;
  state: string;
  total: number;
  counts: Record<string, number>;
}
interface Result {
  index: number;
  device: string;
  state: string;
  outcome?: string;
  reply?: Record<string, unknown>;
}

describe('a job over 1,000 devices (e2e, real broker, database and simulated devices)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  const devices: ConnectedDevice[] = [];
  const received = new Map<string, number>();
  const names = Array.from({ length: DEVICES }, (_, i) => `unit-${String(i).padStart(4, '0')}`);
  const api = () => gateway.baseUrl;

  beforeAll(async () => {
    gateway = await startGateway();
    deviceCommand = await startDeviceCommand();
    token = await signUpAndLogIn(api(), uniqueName('fleet-owner'));
    let next = 0;
    const setUp = async () => {
      while (next < DEVICES) {
        const name = names[next++];
        // A fresh connection each: with this many at once in one busy process, a kept-alive socket may be
        // closed by the server just as it is reused ("socket hang up").
        const res = await request<{ deviceId: string }>(api(), 'POST', '/devices', {
          token,
          body: { name, keyType: 'ec', tags: { fleet: 'big' } },
          headers: { connection: 'close' },
        });
        expect(res.status).toBe(201);
        const device = await connectDevice(res.body as never, 'mqtt');
        device.on('request', (event) => {
          if (event.api === 'set_gpio') received.set(name, (received.get(name) ?? 0) + 1);
        });
        devices.push(device);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, setUp));
    console.log(`${DEVICES} devices registered and connected in ${Date.now() - started} ms`);
  }, 900_000);
  afterAll(async () => {
    await Promise.all(devices.map((device) => device.stop()));
    await deviceCommand.close();
    await gateway.close();
    closeClient();
  }, 120_000);

  it('completes, with every device’s result recorded and every device commanded once', async () => {
    const started = Date.now();
    const res = await request<Job>(api(), 'POST', '/jobs', {
      token,
      // The gateway, device-command and all 1,000 devices share this one process: at 100 in flight a command
      // waits seconds for its turn (in-flight ÷ commands/s), past the 5 s default. The test is about
      // completeness, not speed, so each device gets the longest timeout.
      body: {
        selector: { tag: 'fleet=big' },
        api: 'set_gpio',
        params: { number: 3, value: 1 },
        concurrency: 100,
        timeoutMs: DEVICE_TIMEOUT_MS.max,
      },
    });
    expect(res).toMatchObject({ status: 202, body: { state: 'queued', total: DEVICES } });
    let job: Job;
    for (;;) {
      job = (await request<Job>(api(), 'GET', `/jobs/${res.body.id}`, { token })).body;
      if (['completed', 'cancelled', 'aborted'].includes(job.state)) break;
      await sleep(500);
    }
    console.log(`job over ${DEVICES} devices finished in ${Date.now() - started} ms: ${JSON.stringify(job.counts)}`);
    expect(job).toMatchObject({ state: 'completed', total: DEVICES, counts: { ok: DEVICES } });
    const results: Result[] = [];
    for (let after = -1; ;) {
      const cursor = after < 0 ? '' : `&after=${after}`;
      const page = await request<Result[]>(api(), 'GET', `/jobs/${job.id}/results?limit=500${cursor}`, { token });
      expect(page.status).toBe(200);
      results.push(...page.body);
      if (page.body.length < 500) break;
      after = page.body[page.body.length - 1].index;
    }
    expect(results.map((r) => r.device)).toEqual(names);
    expect(results.every((r) => r.outcome === 'ok' && r.reply?.number === 3 && r.reply?.value === 1)).toBe(true);
    expect(received.size).toBe(DEVICES);
    expect([...received.values()].every((n) => n === 1)).toBe(true);
  }, 600_000);
});
