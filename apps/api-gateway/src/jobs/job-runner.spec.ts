import { EventBus } from '@nestjs/cqrs';
import { DeviceInvoker } from '../device-control/device-invoker';
import { JobRepository } from './database/job.repository';
import { JobOutcome, JobRecord, JobResultRecord, JobState } from './domain/job';
import { JobFinishedEvent, JobProgressEvent } from './domain/job.events';
import { JobRunner } from './job-runner';

/** The repository's contract in memory, with the lease as one conditional update, as in the database. */
class MemoryJobs {
  job: JobRecord & { leaseOwner: string | null };
  rows: JobResultRecord[];

  constructor(names: string[]) {
    this.job = {
      jobId: 'j1',
      ownerId: 'u1',
      api: 'set_gpio',
      params: { number: 3, value: 1 },
      timeoutMs: 1000,
      concurrency: 3,
      state: 'queued',
      total: names.length,
      counts: {},
      createdAt: new Date(),
      finishedAt: null,
      leaseUntil: null,
      leaseOwner: null,
    };
    this.rows = names.map((name, index) => ({ index, name, state: 'pending' }));
  }

  acquireLease(_id: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const { job } = this;
    const free = job.leaseOwner === owner || !job.leaseUntil || job.leaseUntil <= now;
    if (!['queued', 'running'].includes(job.state) || !free) return Promise.resolve(false);
    Object.assign(job, { leaseOwner: owner, leaseUntil: until });
    return Promise.resolve(true);
  }
  releaseLease(_id: string, owner: string): Promise<void> {
    if (this.job.leaseOwner === owner) Object.assign(this.job, { leaseOwner: null, leaseUntil: null });
    return Promise.resolve();
  }
  unfinished = () => Promise.resolve(['queued', 'running'].includes(this.job.state) ? [{ ...this.job }] : []);
  find = () => Promise.resolve({ ...this.job });
  setState(_id: string, state: JobState, finished = false): Promise<void> {
    Object.assign(this.job, { state, ...(finished ? { finishedAt: new Date() } : {}) });
    return Promise.resolve();
  }
  setCounts(_id: string, counts: JobRecord['counts']): Promise<void> {
    this.job.counts = { ...counts };
    return Promise.resolve();
  }
  results_(after: number, limit: number) {
    return this.rows.filter((r) => r.index > after).slice(0, limit);
  }
  markDispatched(_id: string, index: number): Promise<void> {
    this.rows[index].state = 'dispatched';
    return Promise.resolve();
  }
  recordOutcome(_id: string, index: number, outcome: JobOutcome): Promise<void> {
    Object.assign(this.rows[index], { state: 'done', outcome });
    return Promise.resolve();
  }
}

function runnerOn(memory: MemoryJobs, sent: string[], published: unknown[]): JobRunner {
  const repository = Object.assign(Object.create(memory) as object, {
    results: (_id: string, after: number, limit: number) => Promise.resolve(memory.results_(after, limit)),
  }) as unknown as JobRepository;
  const invoker = {
    invoke: async (_owner: string, name: string) => {
      sent.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { reply: { number: 3, value: 1 }, deviceLatencyMs: 1 };
    },
  } as unknown as DeviceInvoker;
  const events = { publish: (event: unknown) => published.push(event) } as unknown as EventBus;
  return new JobRunner(repository, invoker, events);
}

describe('JobRunner', () => {
  it('runs a job in one runner only: the second finds it leased and leaves it', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `lamp-${i}`);
    const memory = new MemoryJobs(names);
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

  it('reports the final counts as progress before it finishes, even for a job quicker than one poll', async () => {
    const memory = new MemoryJobs(['lamp-a', 'lamp-b']);
    const published: unknown[] = [];
    const runner = runnerOn(memory, [], published);
    expect(await runner.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.onModuleDestroy();
    expect(
      published.map((e) =>
        e instanceof JobProgressEvent ? 'progress' : e instanceof JobFinishedEvent ? 'finished' : 'other',
      ),
    ).toEqual(['progress', 'finished']);
  });

  it("writes the devices' dispatch marks concurrently, up to the job's concurrency, not one at a time", async () => {
    const memory = new MemoryJobs(Array.from({ length: 12 }, (_, i) => `lamp-${i}`));
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
    const memory = new MemoryJobs(Array.from({ length: 6 }, (_, i) => `lamp-${i}`));
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
    expect(memory.rows[1].state).toBe('pending');
    await first.onModuleDestroy();
    const second = runnerOn(memory, sent, []);
    expect(await second.start({ ...memory.job })).toBe(true);
    for (let i = 0; i < 500 && memory.job.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 10));
    await second.onModuleDestroy();
    expect(memory.job.state).toBe('completed');
    expect(sent.filter((name) => name === 'lamp-1')).toHaveLength(1);
    expect([...sent].sort()).toEqual([...new Set(sent)].sort());
  });
});
