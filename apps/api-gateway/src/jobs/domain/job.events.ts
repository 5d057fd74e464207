import { JobOutcome, JobRecord } from './job';

/**
 * One device's command in a job has an outcome. The hook for the device's command history
 * (with the job id) and for `job.progress` on the event stream, once those exist.
 */
export class JobDeviceOutcomeEvent {
  constructor(
    readonly jobId: string,
    readonly ownerId: string,
    readonly name: string,
    readonly api: string,
    readonly outcome: JobOutcome,
    readonly at: Date,
    readonly reply?: Record<string, unknown>,
  ) {}
}

/** A job reached a final state (`job.completed` on the event stream, once it exists). */
export class JobFinishedEvent {
  constructor(readonly job: JobRecord) {}
}
