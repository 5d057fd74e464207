import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { MapsDatabaseErrors } from '../../infrastructure/mongo-errors';
import { JobOutcome, JobRecord, JobResultRecord, JobState } from '../domain/job';
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
    total: doc.total,
    counts: doc.counts ?? {},
    createdAt: doc.createdAt,
    finishedAt: doc.finishedAt ?? null,
    leaseUntil: doc.leaseUntil ?? null,
  };
}

function toResult(doc: JobResult): JobResultRecord {
  const { _id, ...fields } = doc;
  return { index: Number(_id.slice(_id.lastIndexOf('/') + 1)), ...fields };
}

/** Jobs and their per-device results; every read and write goes by `_id` or an `_id` range. */
@Injectable()
@MapsDatabaseErrors()
export class JobRepository {
  constructor(
    @InjectModel(Job.name) private readonly jobs: Model<Job>,
    @InjectModel(JobResult.name) private readonly resultDocs: Model<JobResult>,
  ) {}

  async create(job: Omit<JobRecord, 'counts' | 'finishedAt' | 'state'>, names: string[]): Promise<JobRecord> {
    // Results first: a job document only exists with all its devices.
    for (let i = 0; i < names.length; i += 1000) {
      await this.resultDocs.insertMany(
        names.slice(i, i + 1000).map((name, j) => ({ _id: jobResultKey(job.jobId, i + j), name, state: 'pending' })),
      );
    }
    const { jobId, ...fields } = job;
    const doc = await this.jobs.create({ _id: jobId, ...fields, state: 'queued', counts: {}, finishedAt: null });
    return toJob(doc.toObject());
  }

  async find(jobId: string): Promise<JobRecord | null> {
    const doc = await this.jobs.findById(jobId).lean<Job>().exec();
    return doc ? toJob(doc) : null;
  }

  /** Jobs not finished yet, to resume at start-up (the jobs collection is small: no index needed). */
  async unfinished(): Promise<JobRecord[]> {
    const docs = await this.jobs
      .find({ state: { $in: ['queued', 'running'] } })
      .lean<Job[]>()
      .exec();
    return docs.map(toJob);
  }

  /**
   * Takes or extends the job's lease for `owner` until `until`: only while the job is unfinished,
   * and free (never taken, released, or expired) or already `owner`'s. One conditional update,
   * so two replicas never both hold it.
   */
  async acquireLease(jobId: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.jobs
      .updateOne(
        {
          _id: jobId,
          state: { $in: ['queued', 'running'] },
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
