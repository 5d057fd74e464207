import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { AbortRule, JobOutcome, JobSelector, JobState } from '../domain/job';

/**
 * A bulk command. Keyed by job id; looked up by `_id` only. Not minimized: an API without
 * parameters keeps `params: {}` (Mongoose would drop the empty object).
 *
 * Made by `POST /jobs` with its target only (`devices` or `selector`) and `total: null`; the
 * runner that takes it up writes one JobResult per device, then sets `total` and drops `devices`
 * (the results hold them from then on).
 */
@Schema({ collection: 'jobs', versionKey: false, minimize: false })
export class Job {
  @Prop({ type: String, required: true })
  _id: string;
  @Prop({ required: true })
  ownerId: string;
  @Prop({ required: true })
  api: string;
  @Prop({ type: Object, required: true })
  params: Record<string, unknown>;
  @Prop({ required: true })
  timeoutMs: number;
  @Prop({ required: true })
  concurrency: number;
  @Prop({ type: Number, default: null })
  ratePerSecond: number | null;
  @Prop({ type: Object, default: null })
  abort: AbortRule | null;
  @Prop({ type: String, required: true })
  state: JobState;
  /** The named devices of the job, until the runner has written their results. */
  @Prop({ type: [String], default: undefined })
  devices?: string[];
  @Prop({ type: Object, default: null })
  selector: JobSelector | null;
  /** Devices in the job; null until its target is resolved. */
  @Prop({ type: Number, default: null })
  total: number | null;
  @Prop({ type: Object, default: {} })
  counts: Partial<Record<JobOutcome, number>>;
  @Prop({ required: true })
  createdAt: Date;
  @Prop({ type: Date, default: null })
  finishedAt: Date | null;
  @Prop({ type: Object })
  error?: { code: string; message: string };
  /** The runner (one gateway process) that holds the job, until `leaseUntil`; see JobRunner. */
  @Prop({ type: String, default: null })
  leaseOwner: string | null;
  @Prop({ type: Date, default: null })
  leaseUntil: Date | null;
}
export const JobSchema = SchemaFactory.createForClass(Job);

/**
 * One device of a job, keyed `<jobId>/<index, 7 digits>`: a job's results are one `_id` range,
 * read in order (paging, and the runner's resume) from the `_id` index. The key is also what
 * makes writing them idempotent: index i is one device of the job for good (see
 * resolveJobTarget), so a runner that writes a row again gets a duplicate key, never a second row.
 */
@Schema({ collection: 'job_results', versionKey: false })
export class JobResult {
  @Prop({ type: String, required: true })
  _id: string;
  @Prop({ required: true })
  name: string;
  @Prop({ type: String, required: true })
  state: 'pending' | 'dispatched' | 'done';
  @Prop({ type: String })
  outcome?: JobOutcome;
  @Prop({ type: Object })
  reply?: Record<string, unknown>;
  @Prop({ type: Object })
  error?: { code: string; message: string };
  @Prop({ type: Date })
  finishedAt?: Date;
}
export const JobResultSchema = SchemaFactory.createForClass(JobResult);

export function jobResultKey(jobId: string, index: number): string {
  return `${jobId}/${String(index).padStart(7, '0')}`;
}
