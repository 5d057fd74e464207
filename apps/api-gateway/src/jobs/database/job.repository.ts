import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { MapsDatabaseErrors, isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { JobOutcome, JobRecord, JobResultRecord, JobState, JobTarget } from '../domain/job';
import { Job, JobResult, jobResultKey } from './job.schema';

function toJob(doc: Job): JobRecord {
  return {
    jobId: doc._id,
    ownerId: doc.ownerId,
    api: doc.api as JobRecord['api'],
    params: doc.params ?? {},
    timeoutMs: doc.timeoutMs,
    concurrency: doc.concurrency,
    ratePerSecond: doc.ratePerSecond ?? undefined,
    abort: doc.abort ?? undefined,
    state: doc.state,
    total: doc.total ?? null,
    counts: doc.counts ?? {},
    createdAt: doc.createdAt,
    finishedAt: doc.finishedAt ?? null,
    ...(doc.error ? { error: doc.error } : {}),
    leaseUntil: doc.leaseUntil ?? null,
  };
}

function toResult(doc: JobResult): JobResultRecord {
  const { _id, ...fields } = doc;
  return { index: Number(_id.slice(_id.lastIndexOf('/') + 1)), ...fields };
}

/** A job as `POST /jobs` stores it: not resolved yet. */
export type NewJob = Omit<JobRecord, 'counts' | 'finishedAt' | 'state' | 'total' | 'error' | 'leaseUntil'>;

/** The job without its named devices (up to a request body's worth), which only resolution reads. */
const WITHOUT_DEVICES = { devices: 0 } as const;

/**
 * Jobs and their per-device results; every read and write goes by `_id` or an `_id` range,
 * except the start-up scan of the (small) jobs collection for unfinished ones.
 */
@Injectable()
@MapsDatabaseErrors()
export class JobRepository {
  constructor(
    @InjectModel(Job.name) private readonly jobs: Model<Job>,
    @InjectModel(JobResult.name) private readonly resultDocs: Model<JobResult>,
  ) {}

  /** One write: the job with its target, `queued`, `total: null`. Its results are the runner's to write. */
  async create(job: NewJob, target: JobTarget): Promise<JobRecord> {
    const { jobId, ...fields } = job;
    const doc = await this.jobs.create({
      _id: jobId,
      ...fields,
      ...('devices' in target ? { devices: target.devices, selector: null } : { selector: target.selector }),
      state: 'queued',
      total: null,
      counts: {},
      finishedAt: null,
    });
    return toJob(doc.toObject());
  }

  async find(jobId: string): Promise<JobRecord | null> {
    const doc = await this.jobs.findById(jobId, WITHOUT_DEVICES).lean<Job>().exec();
    return doc ? toJob(doc) : null;
  }

  /** The job's target, as stored: its named devices (until resolved), or its selector; null when it has neither. */
  async target(jobId: string): Promise<JobTarget | null> {
    const doc = await this.jobs.findById(jobId, { devices: 1, selector: 1 }).lean<Job>().exec();
    if (!doc) return null;
    if (doc.devices) return { devices: doc.devices };
    return doc.selector ? { selector: doc.selector } : null;
  }

  /**
   * Jobs not finished yet (no `finishedAt`: queued, running, or cancelled while their runner
   * was away), to take up at start-up and on each scan (the jobs collection is small: no index needed).
   */
  async unfinished(): Promise<JobRecord[]> {
    const docs = await this.jobs.find({ finishedAt: null }, WITHOUT_DEVICES).lean<Job[]>().exec();
    return docs.map(toJob);
  }

  /**
   * Takes or extends the job's lease for `owner` until `until`: only while the job is unfinished (a
   * job cancelled while its runner was away is still to be finished by the next one),
   * and free (never taken, released, or expired) or already `owner`'s. One conditional update,
   * so two replicas never both hold it.
   */
  async acquireLease(jobId: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.jobs
      .updateOne(
        {
          _id: jobId,
          finishedAt: null,
          $or: [{ leaseOwner: owner }, { leaseUntil: null }, { leaseUntil: { $lte: now } }],
        },
        { $set: { leaseOwner: owner, leaseUntil: until } },
      )
      .exec();
    return result.matchedCount === 1;
  }

  /** Gives the lease up (the job finished, or this process stops), so another runner may take it at once. */
  async releaseLease(jobId: string, owner: string): Promise<void> {
    await this.jobs
      .updateOne({ _id: jobId, leaseOwner: owner }, { $set: { leaseOwner: null, leaseUntil: null } })
      .exec();
  }

  /**
   * Writes the results of devices `from`, `from + 1`, … in order, in one ordered insert. False when
   * one of them exists already (another runner wrote it, or an earlier attempt this one redoes):
   * the rows before it are written, none after; the caller reads what is there and goes on from it.
   */
  async insertResults(jobId: string, from: number, names: readonly string[]): Promise<boolean> {
    try {
      await this.resultDocs.insertMany(
        names.map((name, i) => ({ _id: jobResultKey(jobId, from + i), name, state: 'pending' })),
        { ordered: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Every device's result is written: sets `total` and drops the named devices (the results hold them). */
  async setResolved(jobId: string, total: number): Promise<void> {
    await this.jobs.updateOne({ _id: jobId }, { $set: { total }, $unset: { devices: 1 } }).exec();
  }

  /** `queued` → `running`, unless it was cancelled meanwhile. */
  async setRunning(jobId: string): Promise<void> {
    await this.jobs.updateOne({ _id: jobId, state: 'queued' }, { $set: { state: 'running' } }).exec();
  }

  /**
   * Cancels an unfinished job. A job still `queued` that no runner holds is finished here and now
   * (`finished`: no runner will take it up, since it has a `finishedAt`); otherwise its state
   * becomes `cancelled` and its runner, or the next one, finishes it (`cancelled`). Null when it had
   * ended already. Conditional updates, so a runner taking the lease at the same time is either
   * refused it or sees the cancel.
   */
  async cancel(jobId: string, now: Date): Promise<'finished' | 'cancelled' | null> {
    const unheld = await this.jobs
      .updateOne(
        { _id: jobId, state: 'queued', finishedAt: null, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
        { $set: { state: 'cancelled', finishedAt: now } },
      )
      .exec();
    if (unheld.matchedCount === 1) return 'finished';
    const held = await this.jobs
      .updateOne({ _id: jobId, state: { $in: ['queued', 'running'] } }, { $set: { state: 'cancelled' } })
      .exec();
    return held.matchedCount === 1 ? 'cancelled' : null;
  }

  /** Ends a job that cannot run (its target is refused), with the reason. */
  async fail(jobId: string, error: { code: string; message: string }): Promise<void> {
    await this.jobs.updateOne({ _id: jobId }, { $set: { state: 'aborted', finishedAt: new Date(), error } }).exec();
  }

  async setState(jobId: string, state: JobState, finished = false): Promise<void> {
    await this.jobs
      .updateOne({ _id: jobId }, { $set: { state, ...(finished ? { finishedAt: new Date() } : {}) } })
      .exec();
  }

  async setCounts(jobId: string, counts: JobRecord['counts']): Promise<void> {
    await this.jobs.updateOne({ _id: jobId }, { $set: { counts } }).exec();
  }

  /** Results from `afterIndex` on, in order. */
  async results(jobId: string, afterIndex: number, limit: number): Promise<JobResultRecord[]> {
    const from = afterIndex < 0 ? { $gte: `${jobId}/` } : { $gt: jobResultKey(jobId, afterIndex) };
    const docs = await this.resultDocs
      .find({ _id: { ...from, $lt: `${jobId}/~` } })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<JobResult[]>()
      .exec();
    return docs.map(toResult);
  }

  /** Written before the command is sent: after a crash, this device's outcome is `unknown`, and it is not sent again. */
  async markDispatched(jobId: string, index: number): Promise<void> {
    await this.resultDocs.updateOne({ _id: jobResultKey(jobId, index) }, { $set: { state: 'dispatched' } }).exec();
  }

  async recordOutcome(
    jobId: string,
    index: number,
    outcome: JobOutcome,
    detail: { reply?: Record<string, unknown>; error?: { code: string; message: string } },
  ): Promise<void> {
    await this.resultDocs
      .updateOne(
        { _id: jobResultKey(jobId, index) },
        { $set: { state: 'done', outcome, finishedAt: new Date(), ...detail } },
      )
      .exec();
  }
}
