import { JobRecord } from './job';

/** A running job's counts moved (at most about once a second per job): `job.progress` on the event stream. */
export class JobProgressEvent {
  constructor(readonly job: JobRecord) {}
}

/** A job reached a final state: `job.completed` on the event stream. */
export class JobFinishedEvent {
  constructor(readonly job: JobRecord) {}
}
