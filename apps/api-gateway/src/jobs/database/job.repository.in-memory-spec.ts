// JobRepository's contract in memory, for the jobs' unit specs (not a spec itself; excluded from the build
// as `*spec.ts`): the lease, the cancel and the result writes as the conditional updates and the unique `_id`
// they are in the database.
import { JobOutcome, JobRecord, JobResultRecord, JobSelector, JobState, JobTarget } from '../domain/job';
import type { JobRepository, NewJob } from './job.repository';

type StoredJob = JobRecord & { leaseOwner: string | null; devices?: string[]; selector: JobSelector | null };

export class MemoryJobs {
  job: StoredJob;
  /** By index; a write of an index that exists fails, as a duplicate `_id` does. */
  readonly rows = new Map<number, JobResultRecord>();
  /** Every call, by method name, in order. */
  readonly calls: string[] = [];

  constructor(target: JobTarget, fields: Partial<JobRecord> = {}) {
    this.job = {
      jobId: 'j1',
      ownerId: 'u1',
      api: 'set_gpio',
      params: { number: 3, value: 1 },
      timeoutMs: 1000,
      concurrency: 3,
      state: 'queued',
      total: null,
      counts: {},
      createdAt: new Date(),
      finishedAt: null,
      leaseUntil: null,
      leaseOwner: null,
      ...('devices' in target ? { devices: [...target.devices], selector: null } : { selector: target.selector }),
      ...fields,
    };
  }

  /** A job resolved the old way: its results written up front, `total` set. */
  static resolved(names: string[]): MemoryJobs {
    const memory = new MemoryJobs({ selector: { all: true } }, { total: names.length });
    names.forEach((name, index) => memory.rows.set(index, { index, name, state: 'pending' }));
    return memory;
  }

  /** This store as the repository the classes under test take. */
  get repository(): JobRepository {
    return this as unknown as JobRepository;
  }

  /** The results in index order. */
  ordered(): JobResultRecord[] {
    return [...this.rows.values()].sort((a, b) => a.index - b.index);
  }

  private record(): JobRecord {
    const { leaseOwner: _owner, devices: _devices, selector: _selector, ...job } = this.job;
    return { ...job, counts: { ...job.counts } };
  }

  create(job: NewJob, target: JobTarget): Promise<JobRecord> {
    this.calls.push('create');
    this.job = new MemoryJobs(target, { ...job }).job;
    return Promise.resolve(this.record());
  }
  find(): Promise<JobRecord | null> {
    this.calls.push('find');
    return Promise.resolve(this.record());
  }
  target(): Promise<JobTarget | null> {
    this.calls.push('target');
    const { devices, selector } = this.job;
    return Promise.resolve(devices ? { devices: [...devices] } : { selector: selector ?? {} });
  }
  unfinished(): Promise<JobRecord[]> {
    return Promise.resolve(this.job.finishedAt === null ? [this.record()] : []);
  }
  acquireLease(_id: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const { job } = this;
    const free = job.leaseOwner === owner || !job.leaseUntil || job.leaseUntil <= now;
    if (job.finishedAt !== null || !free) return Promise.resolve(false);
    Object.assign(job, { leaseOwner: owner, leaseUntil: until });
    return Promise.resolve(true);
  }
  releaseLease(_id: string, owner: string): Promise<void> {
    if (this.job.leaseOwner === owner) Object.assign(this.job, { leaseOwner: null, leaseUntil: null });
    return Promise.resolve();
  }
  results(_id: string, after: number, limit: number): Promise<JobResultRecord[]> {
    this.calls.push('results');
    const rows = this.ordered().filter((r) => r.index > after);
    return Promise.resolve(rows.slice(0, limit).map((r) => ({ ...r })));
  }
  async insertResults(_id: string, from: number, names: readonly string[]): Promise<boolean> {
    this.calls.push('insertResults');
    for (const [i, name] of names.entries()) {
      await Promise.resolve(); // one write at a time, as an ordered insert: others may run in between
      if (this.rows.has(from + i)) return false;
      this.rows.set(from + i, { index: from + i, name, state: 'pending' });
    }
    return true;
  }
  setResolved(_id: string, total: number): Promise<void> {
    this.calls.push('setResolved');
    this.job.total = total;
    delete this.job.devices;
    return Promise.resolve();
  }
  setRunning(): Promise<void> {
    if (this.job.state === 'queued') this.job.state = 'running';
    return Promise.resolve();
  }
  cancel(_id: string, now: Date): Promise<'finished' | 'cancelled' | null> {
    const { job } = this;
    const unheld = !job.leaseUntil || job.leaseUntil <= now;
    if (job.state === 'queued' && job.finishedAt === null && unheld) {
      Object.assign(job, { state: 'cancelled', finishedAt: now });
      return Promise.resolve('finished');
    }
    if (job.state !== 'queued' && job.state !== 'running') return Promise.resolve(null);
    job.state = 'cancelled';
    return Promise.resolve('cancelled');
  }
  fail(_id: string, error: { code: string; message: string }): Promise<void> {
    Object.assign(this.job, { state: 'aborted', finishedAt: new Date(), error });
    return Promise.resolve();
  }
  setState(_id: string, state: JobState, finished = false): Promise<void> {
    Object.assign(this.job, { state, ...(finished ? { finishedAt: new Date() } : {}) });
    return Promise.resolve();
  }
  setCounts(_id: string, counts: JobRecord['counts']): Promise<void> {
    this.job.counts = { ...counts };
    return Promise.resolve();
  }
  markDispatched(_id: string, index: number): Promise<void> {
    this.rows.get(index)!.state = 'dispatched';
    return Promise.resolve();
  }
  recordOutcome(_id: string, index: number, outcome: JobOutcome): Promise<void> {
    Object.assign(this.rows.get(index)!, { state: 'done', outcome });
    return Promise.resolve();
  }
}
