import { DeviceApi } from '@app/device-protocol';

/**
 * `queued` until a runner has resolved its target (its device list, `total`), `running` while it
 * dispatches, then one of the final states.
 */
export type JobState = 'queued' | 'running' | 'completed' | 'cancelled' | 'aborted';
export const FINAL_JOB_STATES: readonly JobState[] = ['completed', 'cancelled', 'aborted'];

/**
 * A device's outcome in a job. `unknown`: the command was sent (or may have been) but its
 * outcome was lost, e.g. the runner stopped before the reply; it is never sent again.
 */
export type JobOutcome = 'ok' | 'timeout' | 'offline' | 'busy' | 'not_found' | 'error' | 'unknown';
export const JOB_OUTCOMES: readonly JobOutcome[] = [
  'ok',
  'timeout',
  'offline',
  'busy',
  'not_found',
  'error',
  'unknown',
];

/** "Stop when more than `failedPercent` % of the outcomes so far failed", once there are `minOutcomes`. */
export interface AbortRule {
  failedPercent: number;
  minOutcomes: number;
}

/** A selector: every device of the owner, those with a tag, those connected now (alone or with a tag). */
export interface JobSelector {
  all?: boolean;
  tag?: string;
  online?: boolean;
}

/**
 * Which devices a job targets: named ones (checked and deduplicated when the job is made, kept in
 * its order), or a selector, resolved by the runner that takes the job up.
 */
export type JobTarget = { devices: string[] } | { selector: JobSelector };

export interface JobSpec {
  api: DeviceApi;
  params: Record<string, unknown>;
  timeoutMs: number;
  concurrency: number;
  /** Devices per second at most; none = as fast as `concurrency` allows. */
  ratePerSecond?: number;
  abort?: AbortRule;
}

export interface JobRecord extends JobSpec {
  jobId: string;
  ownerId: string;
  state: JobState;
  /**
   * Devices in the job, once a runner has resolved its target and written one result per device;
   * null until then (while `queued`, and for good when cancelled before that).
   */
  total: number | null;
  counts: Partial<Record<JobOutcome, number>>;
  createdAt: Date;
  finishedAt: Date | null;
  /** Why a job ended without running any device (its selector matched too many). */
  error?: { code: string; message: string };
  /** Until when a runner holds the job (see JobRunner); null when none does. */
  leaseUntil?: Date | null;
}

/** One device of a job: `pending`, `dispatched` (sent, outcome not yet recorded), or `done`. */
export interface JobResultRecord {
  /** Position in the job, 0-based (the results are paged in this order). */
  index: number;
  name: string;
  state: 'pending' | 'dispatched' | 'done';
  outcome?: JobOutcome;
  reply?: Record<string, unknown>;
  error?: { code: string; message: string };
  finishedAt?: Date;
}

export function outcomeOfError(code: string | undefined): JobOutcome {
  switch (code) {
    case 'DEVICE_TIMEOUT':
      return 'timeout';
    case 'DEVICE_OFFLINE':
      return 'offline';
    case 'DEVICE_BUSY':
      return 'busy';
    case 'DEVICE_NOT_FOUND':
      return 'not_found';
    // The request may or may not have reached device-command (and the device).
    case 'DEVICE_COMMAND_UNAVAILABLE':
      return 'unknown';
    default:
      return 'error';
  }
}

export function abortRuleFires(rule: AbortRule | undefined, counts: JobRecord['counts']): boolean {
  if (!rule) return false;
  const total = JOB_OUTCOMES.reduce((sum, o) => sum + (counts[o] ?? 0), 0);
  if (total < rule.minOutcomes) return false;
  const failed = total - (counts.ok ?? 0);
  return (failed * 100) / total > rule.failedPercent;
}

/** The most devices one job takes, stated in @app/common for the clients that check it too. */
export { MAX_JOB_DEVICES } from '@app/common';
