import { JobRecord, JobResultRecord } from './domain/job';

export class JobErrorDto {
  code: string;
  message: string;
}

/** A job as the API shows it. */
export class JobResponseDto {
  id: string;
  /**
   * `queued` (stored; its devices not resolved yet), `running`, `completed`, `cancelled` or `aborted`.
   */
  state: string;
  api: string;
  params: Record<string, unknown>;
  /**
   * Devices in the job, once the runner has resolved its target (the named devices, or those the
   * selector matches then); `null` until then: in `POST /jobs`' answer, while `queued`, and for good
   * when the job was cancelled before. A selector that matches no device gives 0, and the job completes.
   */
  total: number | null;
  /** Outcomes so far: `ok`, `timeout`, `offline`, `busy`, `not_found`, `error`, `unknown`. */
  counts: Record<string, number>;
  createdAt: string;
  finishedAt?: string;
  /** Why the job ended `aborted` without running: its selector matched more devices than a job takes (`INVALID_JOB`). */
  error?: JobErrorDto;

  static from(job: JobRecord): JobResponseDto {
    return {
      id: job.jobId,
      state: job.state,
      api: job.api,
      params: job.params,
      total: job.total,
      counts: job.counts,
      createdAt: job.createdAt.toISOString(),
      ...(job.finishedAt ? { finishedAt: job.finishedAt.toISOString() } : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }
}

/** One device's outcome in a job. */
export class JobResultResponseDto {
  /** Position in the job (pass the last one as `after` for the next page). */
  index: number;
  device: string;
  /** `pending`, `dispatched` or `done`. */
  state: string;
  outcome?: string;
  reply?: Record<string, unknown>;
  error?: { code: string; message: string };
  finishedAt?: string;

  static from(result: JobResultRecord): JobResultResponseDto {
    return {
      index: result.index,
      device: result.name,
      state: result.state,
      ...(result.outcome ? { outcome: result.outcome } : {}),
      ...(result.reply ? { reply: result.reply } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.finishedAt ? { finishedAt: new Date(result.finishedAt).toISOString() } : {}),
    };
  }
}
