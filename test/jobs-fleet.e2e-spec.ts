// A job over 1,000 simulated devices (the fleet size) completes with every result
// recorded, no device having received the command twice. The other job behaviours
// (cancel, abort, restarts, events, history) are in jobs.e2e-spec.ts, on a smaller fleet.
import { INestApplication } from '@nestjs/common';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, signUpAndLogIn, uniqueName } from './support/https-client';
import { Fleet, JobsClient, outcomes, startFleet } from './support/jobs';

const DEVICES = 1000;
/** Registrations and connections at once while setting the fleet up. */
const SETUP_CONCURRENCY = 25;

describe('a job over 1,000 devices (e2e, real broker, database and simulated devices)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  let fleet: Fleet;
  const names = Array.from({ length: DEVICES }, (_, i) => `unit-${String(i).padStart(4, '0')}`);
  const api = () => gateway.baseUrl;
  const jobs = new JobsClient(api, () => token);

  beforeAll(async () => {
    gateway = await startGateway();
    deviceCommand = await startDeviceCommand();
    token = await signUpAndLogIn(api(), uniqueName('fleet-owner'));
    const started = Date.now();
    fleet = await startFleet(api(), token, names, { tags: { fleet: 'big' }, concurrency: SETUP_CONCURRENCY });
    console.log(`${DEVICES} devices registered and connected in ${Date.now() - started} ms`);
  }, 900_000);
  afterAll(async () => {
    await Promise.all((fleet?.devices ?? []).map((device) => device.stop()));
    await deviceCommand.close();
    await gateway.close();
    closeClient();
    // Stopping 1,000 devices on a loaded machine can take minutes; an afterAll cut short leaves the apps
    // connected when global teardown stops the broker.
  }, 300_000);

  it('completes, with every device’s result recorded and every device commanded once', async () => {
    const started = Date.now();
    // The gateway, device-command and all 1,000 devices share this one process: at 100 in flight a command
    // waits seconds for its turn (in-flight ÷ commands/s), past the 5 s default. The test is about
    // completeness, not speed, so each device gets the longest timeout.
    const res = await jobs.start({
      selector: { tag: 'fleet=big' },
      api: 'set_gpio',
      params: { number: 3, value: 1 },
      concurrency: 100,
      timeoutMs: DEVICE_TIMEOUT_MS.max,
    });
    // Stored with its selector; the runner resolves it to the devices.
    expect(res).toMatchObject({ status: 202, body: { state: 'queued', total: null } });
    const job = await jobs.waitFinal(res.body.id, { timeoutMs: 600_000, pollMs: 500 });
    console.log(`job over ${DEVICES} devices finished in ${Date.now() - started} ms: ${JSON.stringify(job.counts)}`);
    // What the job owes its user: it completes, every device has a recorded outcome, and no device gets the
    // command twice. On a loaded machine (everything above shares one process) a few commands may end as
    // `timeout` or `unknown` (the gateway's wait ran out): those are recorded outcomes, not losses. Anything
    // else (error, not_found, offline), or most devices failing, is a fault.
    expect(job).toMatchObject({ state: 'completed', total: DEVICES });
    expect(outcomes(job)).toBe(DEVICES);
    expect(Object.keys(job.counts).filter((o) => !['ok', 'timeout', 'unknown'].includes(o))).toEqual([]);
    expect(job.counts.ok ?? 0).toBeGreaterThan(DEVICES / 2);
    const results = await jobs.results(job.id, 500);
    expect(results.map((r) => r.device)).toEqual(names);
    expect(results.every((r) => r.state === 'done' && r.outcome !== undefined)).toBe(true);
    const ok = results.filter((r) => r.outcome === 'ok');
    expect(ok.length).toBe(job.counts.ok);
    expect(ok.every((r) => r.reply?.number === 3 && r.reply?.value === 1)).toBe(true);
    expect(ok.every((r) => fleet.received.get(r.device) === 1)).toBe(true);
    expect([...fleet.received.values()].every((n) => n === 1)).toBe(true);
  }, 600_000);
});
