// Jobs (bulk commands) against the real stack: a fleet of simulated devices, cancel, abort rule,
// job events and history, and restarts (device-command; the gateway that runs the job; a
// second replica) that resume without sending any device the command twice. The job over
// 1,000 devices is test/jobs-fleet.e2e-spec.ts.
import { INestApplication } from '@nestjs/common';
import mongoose from 'mongoose';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway, startGatewayReplica } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { Fleet, Job, JobResult, JobsClient, outcomes as total, startFleet } from './support/jobs';
import { connectDevice } from './support/simulated-devices';
import { SseClient } from './support/sse-client';

const DEVICES = 60;
/** The restart tests run on all of them, slowly enough to stop things midway. */
const SMALL = DEVICES;
/** Registrations and connections at once while setting the fleet up. */
const SETUP_CONCURRENCY = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('jobs (e2e, real broker, database and simulated devices)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  let fleet: Fleet;
  /** set_gpio requests each device received (the fleet's count). */
  let received = new Map<string, number>();
  const names = Array.from({ length: DEVICES }, (_, i) => `lamp-${String(i).padStart(4, '0')}`);

  const api = () => gateway.baseUrl;
  const jobs = new JobsClient(api, () => token);
  const startJob = (body: object) => jobs.start(body);
  const getJob = (id: string) => jobs.get(id);
  const waitFinal = (id: string, timeoutMs?: number) => jobs.waitFinal(id, { timeoutMs });
  const allResults = (id: string) => jobs.results(id, 25);
  /** set_gpio on pin `pin` of the first SMALL devices, two at a time and 15 a second: slow enough to stop things midway. */
  const startSlowJob = (pin: number) =>
    startJob({
      devices: names.slice(0, SMALL),
      api: 'set_gpio',
      params: { number: pin, value: 1 },
      concurrency: 2,
      ratePerSecond: 15,
    });
  /** No device received the command twice, and each one whose outcome is ok received it once. */
  const expectCommandedOnce = (results: JobResult[]) => {
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    expect(results.filter((r) => r.outcome === 'ok').every((r) => received.get(r.device) === 1)).toBe(true);
  };
  /** Completed, with an outcome for each of the SMALL devices. */
  const expectCompletedSmall = (job: Job) => {
    expect(job.state).toBe('completed');
    expect(total(job)).toBe(SMALL);
  };

  beforeAll(async () => {
    gateway = await startGateway();
    deviceCommand = await startDeviceCommand();
    token = await signUpAndLogIn(api(), uniqueName('jobs-owner'));
    fleet = await startFleet(api(), token, names, { tags: { fleet: 'jobs' }, concurrency: SETUP_CONCURRENCY });
    received = fleet.received;
  }, 180_000);
  afterAll(async () => {
    for (const device of fleet?.devices ?? []) await device.stop();
    await deviceCommand.close();
    await gateway.close();
    closeClient();
  });
  beforeEach(() => received.clear());

  it('runs a job over every tagged device, records every result once, and reports it on the stream and in history', async () => {
    const stream = await SseClient.open(api(), token);
    const res = await startJob({
      selector: { tag: 'fleet=jobs' },
      api: 'set_gpio',
      params: { number: 3, value: 1 },
      timeoutMs: 5000,
      concurrency: 50,
    });
    expect(res.status).toBe(202);
    // The job is stored with its selector and no device yet: the runner resolves it.
    expect(res.body).toMatchObject({ state: 'queued', total: null, counts: {} });
    const job = await waitFinal(res.body.id, 180_000);
    expect(job).toMatchObject({ state: 'completed', total: DEVICES, counts: { ok: DEVICES } });
    const results = await allResults(job.id);
    expect(results.map((r) => r.device)).toEqual(names);
    expect(results.every((r) => r.outcome === 'ok' && r.reply?.value === 1 && r.reply?.number === 3)).toBe(true);
    expect([...received.values()].every((n) => n === 1)).toBe(true);
    expect(received.size).toBe(DEVICES);

    type JobEvent = { type: string; deviceName?: string; data: { jobId?: string; state?: string; done?: number } };
    const ofJob = (e: JobEvent) => e.data.jobId === job.id;
    await stream.waitFor((events) => (events as JobEvent[]).some((e) => e.type === 'job.completed' && ofJob(e)));
    stream.close();
    const events = stream.events<JobEvent>().filter(ofJob);
    const completed = events.filter((e) => e.type === 'job.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      data: { state: 'completed', total: DEVICES, done: DEVICES, counts: { ok: DEVICES } },
    });
    expect(completed[0].deviceName).toBeUndefined();
    const progress = events.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(0);
    // The first as the job starts running, its devices resolved: the stream learns the total.
    expect(progress[0]).toMatchObject({ data: { state: 'running', total: DEVICES, done: 0 } });
    const done = progress.map((e) => e.data.done ?? 0);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done[done.length - 1]).toBeLessThanOrEqual(DEVICES);
    // Every device's command is in the event stream and in its history, with the job id.
    expect(events.filter((e) => e.type === 'command.completed')).toHaveLength(DEVICES);
    // The history is written in batches, off the request path: poll until the last device's record is in.
    type Page = { items: { api: string; jobId?: string; outcome: string }[] };
    let ofThisJob: Page['items'] = [];
    for (let until = Date.now() + 10_000; ofThisJob.length === 0 && Date.now() < until; await sleep(200)) {
      const history = await request<Page>(api(), 'GET', `/devices/${names[DEVICES - 1]}/commands`, { token });
      expect(history.status).toBe(200);
      ofThisJob = history.body.items.filter((c) => c.jobId === job.id);
    }
    expect(ofThisJob).toMatchObject([{ api: 'set_gpio', outcome: 'OK' }]);
  });

  it('selector online targets the devices connected now', async () => {
    const spares = [0, 1, 2].map((i) => `spare-${i}`);
    const connected: ConnectedDevice[] = [];
    for (const name of spares) {
      const res = await request(api(), 'POST', '/devices', {
        token,
        body: { name, keyType: 'ec', tags: { spare: 'yes' } },
      });
      expect(res.status).toBe(201);
      if (name !== 'spare-2') connected.push(await connectDevice(res.body as never, 'mqtt'));
    }
    fleet.devices.push(...connected);
    // Presence follows the broker's events: wait until both show online.
    for (let until = Date.now() + 15_000; ; await sleep(200)) {
      const listed = await request<unknown[]>(api(), 'GET', '/devices?tag=spare=yes&online=true', { token });
      if (listed.body.length === 2 || Date.now() > until) break;
    }
    const res = await startJob({ selector: { tag: 'spare=yes', online: true }, api: 'get_status' });
    expect(res).toMatchObject({ status: 202, body: { total: null } });
    const job = await waitFinal(res.body.id);
    expect(job).toMatchObject({ state: 'completed', total: 2, counts: { ok: 2 } });
    expect((await allResults(job.id)).map((r) => r.device)).toEqual(['spare-0', 'spare-1']);
    const all = await startJob({ selector: { tag: 'spare=yes' }, api: 'get_status' });
    expect(all).toMatchObject({ status: 202, body: { total: null } });
    expect(await waitFinal(all.body.id)).toMatchObject({ state: 'completed', total: 3, counts: { ok: 2, offline: 1 } });
  });

  it('validates like the single-device routes, and hides other users’ jobs', async () => {
    const bad = await startJob({ devices: [names[0]], api: 'set_gpio', params: { number: 3, value: 7 } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_DEVICE_REQUEST' } });
    expect((await startJob({ devices: [names[0]], api: 'fly', params: {} })).body).toMatchObject({
      code: 'INVALID_JOB',
    });
    // params are exactly the api's fields, as the document's per-api schema says.
    const extra = await startJob({ devices: [names[0]], api: 'get_rtc', params: { value: 1 } });
    expect(extra).toMatchObject({ status: 400, body: { code: 'INVALID_DEVICE_REQUEST', details: { field: 'value' } } });
    expect((await startJob({ selector: {}, api: 'get_status' })).body).toMatchObject({ code: 'INVALID_JOB' });
    // A criterion is `true` or a tag: `false` selects nothing and is refused, as the document's enum says.
    expect((await startJob({ selector: { online: false }, api: 'get_status' })).body).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect((await startJob({ selector: { tag: 'nokey' }, api: 'get_status' })).body).toMatchObject({
      code: 'INVALID_JOB',
    });
    expect((await startJob({ devices: [names[0]], api: 'get_status', concurrency: 0 })).status).toBe(400);
    const ok = await startJob({ devices: [names[0]], api: 'get_status' });
    const stranger = await signUpAndLogIn(api(), uniqueName('jobs-stranger'));
    const hidden = await request(api(), 'GET', `/jobs/${ok.body.id}`, { token: stranger });
    expect(hidden).toMatchObject({ status: 404, body: { code: 'JOB_NOT_FOUND' } });
    await waitFinal(ok.body.id);
  });

  it('a selector that matches no device makes a job that completes at once with no device', async () => {
    const res = await startJob({
      selector: { tag: 'fleet=nowhere' },
      api: 'set_gpio',
      params: { number: 3, value: 1 },
    });
    expect(res).toMatchObject({ status: 202, body: { state: 'queued', total: null } });
    expect(await waitFinal(res.body.id)).toMatchObject({ state: 'completed', total: 0, counts: {} });
    expect(await allResults(res.body.id)).toEqual([]);
  });

  it('cancel stops new dispatches; in-flight commands finish; the rest stays pending', async () => {
    const res = await startJob({
      devices: names,
      api: 'set_gpio',
      params: { number: 4, value: 1 },
      concurrency: 1,
      ratePerSecond: 10,
    });
    await sleep(1000);
    const cancelled = await request<Job>(api(), 'POST', `/jobs/${res.body.id}/cancel`, { token });
    expect(cancelled).toMatchObject({ status: 200, body: { state: 'cancelled' } });
    const job = await waitFinal(res.body.id);
    expect(job.state).toBe('cancelled');
    await sleep(1500); // nothing more goes out after the cancel
    const results = await allResults(job.id);
    const done = results.filter((r) => r.state === 'done');
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(DEVICES);
    expect(results.filter((r) => r.state === 'pending').every((r) => !received.has(r.device))).toBe(true);
    expect(received.size).toBe(done.length);
    expect(total(await getJob(job.id))).toBe(done.length);
  });

  it('the abort rule stops the job when too many devices fail', async () => {
    const ghosts = Array.from({ length: 8 }, (_, i) => `ghost-${i}`);
    const res = await startJob({
      devices: [...ghosts, ...names.slice(0, 10)],
      api: 'set_gpio',
      params: { number: 5, value: 1 },
      concurrency: 1,
      abort: { failedPercent: 50, minOutcomes: 5 },
    });
    const job = await waitFinal(res.body.id);
    expect(job.state).toBe('aborted');
    expect(job.counts.not_found).toBeGreaterThanOrEqual(5);
    expect(job.counts.ok ?? 0).toBe(0);
    expect(received.size).toBe(0);
  });

  /**
   * A job as `POST /jobs` stores it (queued, its selector, `total: null`), written straight into the
   * database with `fields` and the result rows `rows` (names by index), as a runner that stopped midway
   * leaves it: what no request can make on purpose, since the gateway's own runner takes a new job at once.
   */
  async function storeQueuedJob(fields: Record<string, unknown>, rows: string[] = []): Promise<string> {
    const id = `e2e${Date.now().toString(16)}${String(Math.random()).slice(2, 8)}`.slice(0, 24).padEnd(24, '0');
    const ownerId = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string }).sub;
    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    try {
      await db.collection<{ _id: string } & Record<string, unknown>>('jobs').insertOne({
        _id: id,
        ownerId,
        api: 'set_gpio',
        params: { number: 9, value: 1 },
        timeoutMs: 5000,
        concurrency: 10,
        ratePerSecond: null,
        abort: null,
        selector: { tag: 'fleet=jobs' },
        state: 'queued',
        total: null,
        counts: {},
        createdAt: new Date(),
        finishedAt: null,
        leaseOwner: null,
        leaseUntil: null,
        ...fields,
      });
      if (rows.length > 0) {
        await db
          .collection<{ _id: string }>('job_results')
          .insertMany(rows.map((name, i) => ({ _id: `${id}/${String(i).padStart(7, '0')}`, name, state: 'pending' })));
      }
    } finally {
      await db.close();
    }
    return id;
  }

  it('cancels a queued job before its devices are resolved: none is commanded; the next runner finishes it', async () => {
    const stream = await SseClient.open(api(), token);
    // Held by a runner that died: no runner may take it for 3 s.
    const id = await storeQueuedJob({ leaseOwner: 'a-runner-that-died', leaseUntil: new Date(Date.now() + 3000) });
    const cancelled = await request<Job>(api(), 'POST', `/jobs/${id}/cancel`, { token });
    expect(cancelled).toMatchObject({ status: 200, body: { state: 'cancelled', total: null } });
    // `cancelled` at once; finished (`finishedAt`) once the lease runs out and a runner's scan (every 5 s)
    // takes the job up, and only finishes it.
    let job = (await getJob(id)) as Job & { finishedAt?: string };
    for (let until = Date.now() + 30_000; !job.finishedAt && Date.now() < until; await sleep(200)) {
      job = await getJob(id);
    }
    expect(job).toMatchObject({ state: 'cancelled', total: null, counts: {}, finishedAt: expect.any(String) });
    expect(await allResults(id)).toEqual([]);
    expect(received.size).toBe(0);
    type JobEvent = { type: string; data: { jobId?: string; state?: string; total?: number | null } };
    await stream.waitFor((events) =>
      (events as JobEvent[]).some((e) => e.type === 'job.completed' && e.data.jobId === id),
    );
    stream.close();
    const events = stream.events<JobEvent>().filter((e) => e.data.jobId === id);
    expect(events).toMatchObject([{ type: 'job.completed', data: { state: 'cancelled', total: null } }]);
  });

  it('a runner that died while resolving a job leaves it to the next: every device once, no duplicate row', async () => {
    // The first 25 devices' rows were written, `total` was not; the lease has run out.
    const id = await storeQueuedJob(
      { leaseOwner: 'a-runner-that-died', leaseUntil: new Date(Date.now() - 1) },
      names.slice(0, 25),
    );
    const job = await waitFinal(id, 60_000);
    expect(job).toMatchObject({ state: 'completed', total: DEVICES, counts: { ok: DEVICES } });
    const results = await allResults(id);
    expect(results.map((r) => r.device)).toEqual(names);
    expect(results.map((r) => r.index)).toEqual(names.map((_, i) => i));
    expect(received.size).toBe(DEVICES);
    expect([...received.values()].every((n) => n === 1)).toBe(true);
  });

  it('resumes after the gateway restarts mid-job: no device gets the command twice; lost outcomes are unknown', async () => {
    const res = await startSlowJob(6);
    await sleep(1200);
    await gateway.close(); // the runner stops dispatching; the job stays `running`
    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    let lost: string;
    try {
      // A runner that died between sending a command and recording its outcome leaves `dispatched`.
      const results = db.collection<{ _id: string; name: string; state: string }>('job_results');
      const pending = await results.findOne({ _id: `${res.body.id}/${String(SMALL - 1).padStart(7, '0')}` });
      expect(pending?.state).toBe('pending');
      lost = pending?.name ?? '';
      await results.updateOne({ _id: pending!._id }, { $set: { state: 'dispatched' } });
    } finally {
      await db.close();
    }
    gateway = await startGateway(); // resumes unfinished jobs at start-up
    const job = await waitFinal(res.body.id);
    expectCompletedSmall(job);
    // Commands in flight while the gateway stopped may have lost their outcome too (`unknown`).
    expect(job.counts.unknown).toBeGreaterThanOrEqual(1);
    expect((job.counts.ok ?? 0) + job.counts.unknown).toBe(SMALL);
    expect(received.has(lost)).toBe(false);
    const results = await allResults(job.id);
    expect(results.find((r) => r.device === lost)?.outcome).toBe('unknown');
    expectCommandedOnce(results);
  });

  it('keeps going when device-command restarts mid-job: no device gets the command twice', async () => {
    const res = await startSlowJob(7);
    await sleep(1200);
    await deviceCommand.close(); // commands in flight get no answer; those sent meanwhile find no consumer
    deviceCommand = await startDeviceCommand();
    const job = await waitFinal(res.body.id);
    expectCompletedSmall(job);
    const results = await allResults(job.id);
    expect(results.every((r) => r.state === 'done')).toBe(true);
    // Dispatching went on after the restart: the last devices got their command.
    expect(results[SMALL - 1]).toMatchObject({ outcome: 'ok' });
    expectCommandedOnce(results);
    // Anything else is a lost or failed outcome, never a second attempt (asserted above). Mostly `unknown` or
    // `timeout`; once in three CI runs one was something else, most likely a reply the old device-command's
    // request left behind reaching the new one (the stale-reply fault of docs/reliability.md, open). The device
    // exists, so it is never `not_found`.
    const failed = results.filter((r) => r.outcome !== 'ok').map((r) => r.outcome);
    expect(failed).not.toContain('not_found');
  });

  it('runs a job on one replica only (a lease in the database); the other takes over when it stops', async () => {
    const res = await startSlowJob(8);
    await sleep(800);
    const first = gateway;
    // A second replica starts: it finds the job running, leased by the first gateway, and leaves it.
    const replica = await startGatewayReplica();
    try {
      await sleep(1200);
      // The first stops (releasing the lease) and a new gateway starts: the replica's next scan and
      // the new gateway's start-up scan both look for the job; one lease, so one of them runs it.
      await first.close();
      gateway = await startGateway();
      const job = await waitFinal(res.body.id);
      expectCompletedSmall(job);
      expectCommandedOnce(await allResults(job.id));
      expect((job.counts.ok ?? 0) + (job.counts.unknown ?? 0)).toBe(SMALL);
    } finally {
      await replica.close();
    }
  });
});
