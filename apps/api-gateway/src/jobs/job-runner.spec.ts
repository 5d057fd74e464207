import { EventBus, QueryBus } from '@nestjs/cqrs';
import { DeviceInvoker } from '../device-control/device-invoker';
import { DeviceRepository } from '../devices/database/device.repository.port';
import { DeviceListFilter } from '../devices/domain/device';
import { MemoryJobs } from './database/job.repository.in-memory-spec';
import { JobFinishedEvent, JobProgressEvent } from './domain/job.events';
import { JobRunner } from './job-runner';
import { JobTargetResolver } from './job-target.resolver';

/** A runner on the store, with a device invoker that records each command and answers after 5 ms. */
function runnerOn(memory: MemoryJobs, sent: string[], published: unknown[], fleet: string[] = []): JobRunner {
  const invoker = {
    invoke: async (_owner: string, name: string) => {
      sent.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { reply: { number: 3, value: 1 }, deviceLatencyMs: 1 };
    },
  } as unknown as DeviceInvoker;
  const events = { publish: (event: unknown) => published.push(event) } as unknown as EventBus;
  const listed = (filter: DeviceListFilter) =>
    fleet.filter((name) => filter.after === undefined || name > filter.after).slice(0, filter.limit);
  const devices = {
    listActive: (_owner: string, filter: DeviceListFilter) => Promise.resolve(listed(filter).map((name) => ({ name }))),
  } as unknown as DeviceRepository;
  const resolver = new JobTargetResolver(memory.repository, devices, {} as QueryBus);
  resolver.limits = { ...resolver.limits, batch: 4 };
  return new JobRunner(memory.repository, invoker, events, resolver);
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};
const lamps = (n: number) => Array.from({ length: n }, (_, i) => `lamp-${String(i).padStart(2, '0')}`);

describe('JobRunner', () => {
  it('runs a job in one runner only: the second finds it leased and leaves it', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `lamp-${i}`);
    const memory = MemoryJobs.resolved(names);
    const sent: string[] = [];
    const published: unknown[] = [];
    const a = runnerOn(memory, sent, published);
    const b = runnerOn(memory, sent, published);
    const [startedA, startedB] = await Promise.all([a.start({ ...memory.job }), b.start({ ...memory.job })]);
    expect([startedA, startedB].filter(Boolean)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([a.onModuleDestroy(), b.onModuleDestroy()]);
    expect(memory.job.state).toBe('running'); // stopped midway, lease released
    expect(memory.job.leaseOwner).toBeNull();
    // A runner that starts afterwards takes the released lease and finishes the job.
    const c = runnerOn(memory, sent, published);
    await c.onApplicationBootstrap();
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await c.onModuleDestroy();
    expect(memory.job.state).toBe('completed');
    expect([...sent].sort()).toEqual([...new Set(sent)].sort()); // nobody got it twice
    expect(memory.job.counts.ok! + (memory.job.counts.unknown ?? 0)).toBe(names.length);
    expect(memory.job.leaseOwner).toBeNull();
    expect(published.filter((e) => e instanceof JobFinishedEvent)).toHaveLength(1);
    expect(published.every((e) => e instanceof JobFinishedEvent || e instanceof JobProgressEvent)).toBe(true);
  });

  it('reports its total, then the final counts as progress before it finishes, even for a job quicker than one poll', async () => {
    const memory = MemoryJobs.resolved(['lamp-a', 'lamp-b']);
    const published: unknown[] = [];
    const runner = runnerOn(memory, [], published);
    expect(await runner.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.onModuleDestroy();
    expect(
      published.map((e) =>
        e instanceof JobProgressEvent ? 'progress' : e instanceof JobFinishedEvent ? 'finished' : 'other',
      ),
    ).toEqual(['progress', 'progress', 'finished']);
    // The first as the job starts running (its devices known, none done), the second with both outcomes.
    const progress = published.slice(0, 2) as JobProgressEvent[];
    expect(progress.map((e) => [e.job.total, e.job.counts])).toEqual([
      [2, {}],
      [2, { ok: 2 }],
    ]);
  });

  it("writes the devices' dispatch marks concurrently, up to the job's concurrency, not one at a time", async () => {
    const memory = MemoryJobs.resolved(Array.from({ length: 12 }, (_, i) => `lamp-${i}`));
    let marking = 0;
    let mostAtOnce = 0;
    const mark = memory.markDispatched.bind(memory);
    memory.markDispatched = async (id: string, index: number) => {
      mostAtOnce = Math.max(mostAtOnce, ++marking);
      await new Promise((resolve) => setTimeout(resolve, 10)); // a database write's latency
      marking--;
      return mark(id, index);
    };
    const runner = runnerOn(memory, [], []);
    expect(await runner.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.onModuleDestroy();
    expect(memory.job.state).toBe('completed');
    expect(memory.job.counts.ok).toBe(12);
    expect(mostAtOnce).toBe(memory.job.concurrency);
  });

  it('sends nothing to a device whose mark could not be written, and leaves the job to resume it once', async () => {
    const memory = MemoryJobs.resolved(Array.from({ length: 6 }, (_, i) => `lamp-${i}`));
    const mark = memory.markDispatched.bind(memory);
    let failures = 1;
    memory.markDispatched = (id: string, index: number) =>
      index === 1 && failures-- > 0 ? Promise.reject(new Error('database down')) : mark(id, index);
    const sent: string[] = [];
    const first = runnerOn(memory, sent, []);
    expect(await first.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.leaseOwner !== null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(memory.job.state).toBe('running'); // stopped, not completed: lease released for a resume
    expect(sent).not.toContain('lamp-1');
    expect(memory.rows.get(1)?.state).toBe('pending');
    await first.onModuleDestroy();
    const second = runnerOn(memory, sent, []);
    expect(await second.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await second.onModuleDestroy();
    expect(memory.job.state).toBe('completed');
    expect(sent.filter((name) => name === 'lamp-1')).toHaveLength(1);
    expect([...sent].sort()).toEqual([...new Set(sent)].sort());
  });

  it("resolves a queued job's target itself, then commands each device once; the stream learns total first", async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const sent: string[] = [];
    const published: unknown[] = [];
    const runner = runnerOn(memory, sent, published, lamps(10));
    expect(await runner.start({ ...memory.job })).toBe(true);
    await until(() => memory.job.state === 'completed');
    await runner.onModuleDestroy();
    expect(memory.job).toMatchObject({ state: 'completed', total: 10, counts: { ok: 10 } });
    expect([...sent].sort()).toEqual(lamps(10));
    expect(published[0]).toBeInstanceOf(JobProgressEvent);
    expect((published[0] as JobProgressEvent).job).toMatchObject({ state: 'running', total: 10, counts: {} });
  });

  it('a runner that stops mid-resolution leaves the rest to the next one: one result and one command per device', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const sent: string[] = [];
    const first = runnerOn(memory, sent, [], lamps(10));
    const insert = memory.insertResults.bind(memory);
    let stopping: Promise<void> | undefined;
    memory.insertResults = async (id, from, names) => {
      const written = await insert(id, from, names);
      stopping ??= first.onModuleDestroy(); // the process stops after the first batch
      return written;
    };
    expect(await first.start({ ...memory.job })).toBe(true);
    await until(() => stopping !== undefined);
    await stopping;
    expect(memory.job).toMatchObject({ state: 'queued', total: null, leaseOwner: null });
    expect(memory.rows.size).toBe(4);
    expect(sent).toEqual([]);
    memory.insertResults = insert;
    const second = runnerOn(memory, sent, [], lamps(10));
    await second.onApplicationBootstrap(); // its start-up scan takes the job up
    await until(() => memory.job.state === 'completed');
    await second.onModuleDestroy();
    expect(memory.job).toMatchObject({ state: 'completed', total: 10, counts: { ok: 10 } });
    expect(memory.ordered().map((r) => r.name)).toEqual(lamps(10));
    expect([...sent].sort()).toEqual(lamps(10));
  });

  it('a cancel during resolution ends the job cancelled: total null, no device commanded', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const sent: string[] = [];
    const published: unknown[] = [];
    const runner = runnerOn(memory, sent, published, lamps(10));
    const insert = memory.insertResults.bind(memory);
    memory.insertResults = async (id, from, names) => {
      // As CancelJobHandler does: the job is held, so it is marked cancelled and its runner told.
      expect(await memory.cancel(id, new Date())).toBe('cancelled');
      runner.cancel(id);
      return insert(id, from, names);
    };
    expect(await runner.start({ ...memory.job })).toBe(true);
    await until(() => memory.job.finishedAt !== null);
    await runner.onModuleDestroy();
    expect(memory.job).toMatchObject({ state: 'cancelled', total: null });
    expect(sent).toEqual([]);
    expect(published).toHaveLength(1);
    expect((published[0] as JobFinishedEvent).job).toMatchObject({ state: 'cancelled', total: null });
  });

  it('finishes a job cancelled while no runner held it: an outcome lost in flight is unknown, nothing is sent', async () => {
    const memory = MemoryJobs.resolved(lamps(5));
    memory.job.state = 'cancelled';
    memory.rows.get(0)!.state = 'dispatched';
    const sent: string[] = [];
    const published: unknown[] = [];
    const runner = runnerOn(memory, sent, published);
    await runner.onApplicationBootstrap();
    await until(() => memory.job.finishedAt !== null);
    await runner.onModuleDestroy();
    expect(memory.job).toMatchObject({ state: 'cancelled', counts: { unknown: 1 } });
    expect(sent).toEqual([]);
    expect(published.filter((e) => e instanceof JobFinishedEvent)).toHaveLength(1);
  });

  it('ends a job whose selector matches more devices than a job takes aborted, with why, commanding none', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const sent: string[] = [];
    const published: unknown[] = [];
    const runner = runnerOn(memory, sent, published, lamps(10));
    (runner as unknown as { resolver: JobTargetResolver }).resolver.limits.max = 6;
    expect(await runner.start({ ...memory.job })).toBe(true);
    await until(() => memory.job.finishedAt !== null);
    await runner.onModuleDestroy();
    expect(memory.job).toMatchObject({ state: 'aborted', total: null, error: { code: 'INVALID_JOB' } });
    expect(sent).toEqual([]);
    expect((published[0] as JobFinishedEvent).job).toMatchObject({ state: 'aborted', error: { code: 'INVALID_JOB' } });
  });
});
