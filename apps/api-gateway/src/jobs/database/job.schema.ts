import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { AbortRule, JobOutcome, JobState } from '../domain/job';

/**
 * A bulk command. Keyed by job id; looked up by `_id` only. Not minimized: an API without
 * parameters keeps `params: {}` (Mongoose would drop the empty object).
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
  @Prop({ required: true })
  total: number;
  @Prop({ type: Object, default: {} })
  counts: Partial<Record<JobOutcome, number>>;
  @Prop({ required: true })
  createdAt: Date;
  @Prop({ type: Date, default: null })
  finishedAt: Date | null;
  /** The runner (one gateway process) that holds the job, until `leaseUntil`; see JobRunner. */
  @Prop({ type: String, default: null })
  leaseOwner: string | null;
  @Prop({ type: Date, default: null })
  leaseUntil: Date | null;
}
export const JobSchema = SchemaFactory.createForClass(Job);

/**
 * One device of a job, keyed `<jobId>/<index, 7 digits>`: a job's results are one `_id` range,
 * read in order (paging, and the runner's resume) from the `_id` index.
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
