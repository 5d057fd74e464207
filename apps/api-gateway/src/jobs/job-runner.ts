import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DomainError, sortableId } from '@app/common';
import { DeviceInvoker } from '../device-control/device-invoker';
import { JobRepository } from './database/job.repository';
import { abortRuleFires, JobOutcome, JobRecord, JobResultRecord, JobState, outcomeOfError } from './domain/job';
import { JobFinishedEvent, JobProgressEvent } from './domain/job.events';
import { JobTargetResolver } from './job-target.resolver';

const BATCH = 500;
/** How often a running job re-reads its state (a cancel from another replica), saves its counts and reports progress. */
const POLL_MS = 1000;
/**
 * A runner holds a job's lease this long and renews it every third of it. A replica that dies
 * without releasing it (a crash) leaves the job to another runner once it expires.
 */
export const JOB_LEASE_MS = 15_000;
/** How often every replica looks for unfinished jobs nobody holds (their runner died or gave them up). */
const SCAN_MS = 5_000;

interface Control {
  /** This process is shutting down, or lost the lease: stop dispatching, leave the job to resume. */
  stop: boolean;
  /** Cancelled here: stop dispatching at once. */
  cancelled: boolean;
  done: Promise<void>;
}

/**
 * Runs jobs. A job comes `queued` with its target only (`POST /jobs` answers before any device is
 * looked at): the runner first resolves it (JobTargetResolver: one result row per device, in
 * batches, idempotently; then `total`), and a job cancelled meanwhile ends without a dispatch.
 * Then it walks the job's results in order and sends each pending device the command
 * through the same path as an interactive call (DeviceInvoker → device-command, which keeps
 * one request in flight per device), at most `concurrency` at once and `ratePerSecond`.
 * Each device is marked `dispatched` before its command goes out and `done` with its
 * outcome after; a runner that finds `dispatched` (the previous one stopped in between)
 * records `unknown` and never sends it again.
 *
 * Every gateway replica has a runner; a job runs in exactly one, the holder of its lease in
 * the database (JobRepository.acquireLease), renewed while it runs and released when it ends
 * or the process stops. Every replica looks for unfinished jobs without a live lease at
 * start-up and every few seconds, so a job resumes after its runner stopped or died.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobRunner.name);
  private readonly running = new Map<string, Control>();
  /** This process, as a lease holder. */
  private readonly owner = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private scanTimer?: NodeJS.Timeout;
  private scanning: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly invoker: DeviceInvoker,
    private readonly events: EventBus,
    private readonly resolver: JobTargetResolver,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.scan();
    this.scanTimer = setInterval(() => {
      this.scanning = this.scanning.then(() => this.scan());
    }, SCAN_MS);
    this.scanTimer.unref();
  }

  /** Takes up unfinished jobs this process does not run and nobody else holds. */
  private async scan(): Promise<void> {
    if (this.stopping) return;
    try {
      for (const job of await this.jobs.unfinished()) {
        if (this.running.has(job.jobId)) continue;
        if (job.leaseUntil && job.leaseUntil.getTime() > Date.now()) continue; // another runner has it
        if (await this.start(job)) this.logger.log(`resuming job ${job.jobId} (${job.state})`);
      }
    } catch (error) {
      this.logger.error(`could not look for jobs to resume: ${String(error)}`);
    }
  }

  /** Runs the job here if its lease can be taken; false when another runner holds it. */
  async start(job: JobRecord): Promise<boolean> {
    if (this.stopping || this.running.has(job.jobId)) return false;
    // A job cancelled while no runner held it (finishedAt still unset) is only finished here.
    const control: Control = { stop: false, cancelled: job.state === 'cancelled', done: Promise.resolve() };
    this.running.set(job.jobId, control);
    const now = new Date();
    const held = await this.jobs
      .acquireLease(job.jobId, this.owner, now, new Date(now.getTime() + JOB_LEASE_MS))
      .catch((error: unknown) => (this.logger.warn(`job ${job.jobId}: no lease (${String(error)})`), false));
    if (!held) {
      this.running.delete(job.jobId);
      return false;
    }
    const renewal = setInterval(() => {
      void this.renewLease(job.jobId).then((held) => {
        if (held) return;
        this.logger.warn(`job ${job.jobId}: lease lost; another runner takes it over`);
        control.stop = true;
      });
    }, JOB_LEASE_MS / 3);
    renewal.unref();
    control.done = this.run(job, control)
      .catch((error: unknown) => this.logger.error(`job ${job.jobId} stopped: ${String(error)}`))
      .finally(async () => {
        clearInterval(renewal);
        this.running.delete(job.jobId);
        await this.jobs.releaseLease(job.jobId, this.owner).catch(() => undefined);
      });
    return true;
  }

  private renewLease(jobId: string): Promise<boolean> {
    const now = new Date();
    return this.jobs
      .acquireLease(jobId, this.owner, now, new Date(now.getTime() + JOB_LEASE_MS))
      .catch((error: unknown) => {
        // The database is down: keep running on the lease we have; it expires on its own.
        this.logger.warn(`job ${jobId}: could not renew the lease (${String(error)})`);
        return true;
      });
  }

  /** Stops dispatching a job this process runs (its state is already `cancelled` in the database). */
  cancel(jobId: string): void {
    const control = this.running.get(jobId);
    if (control) control.cancelled = true;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.scanTimer);
    await this.scanning;
    for (const control of this.running.values()) control.stop = true;
    await Promise.all([...this.running.values()].map((c) => c.done));
  }

  private async run(queued: JobRecord, control: Control): Promise<void> {
    let job = queued;
    if (job.total === null && !control.cancelled) {
      const resolution = await this.resolve(job, control);
      if ('refused' in resolution) {
        await this.jobs.fail(job.jobId, resolution.refused);
        this.logger.warn(`job ${job.jobId} refused: ${resolution.refused.message}`);
        const failed = { ...job, state: 'aborted' as const, error: resolution.refused, finishedAt: new Date() };
        this.events.publish(new JobFinishedEvent(failed));
        return;
      }
      if ('total' in resolution) job = { ...job, total: resolution.total };
      else if (!control.cancelled) return; // stopping or lease lost: the next runner redoes the rest
    }
    if (job.state === 'queued' && !control.cancelled) {
      await this.jobs.setRunning(job.jobId);
      // Its devices are known: the stream learns `total` before the first outcome.
      this.events.publish(new JobProgressEvent({ ...job, state: 'running' }));
    }
    const counts: JobRecord['counts'] = { ...job.counts };
    const inflight = new Set<Promise<void>>();
    const interval = job.ratePerSecond ? 1000 / job.ratePerSecond : 0;
    let lastDispatch = 0;
    let lastPoll = Date.now();
    let reported = done(counts);
    let ending: JobState | null = null;
    let after = -1;
    const count = (outcome: JobOutcome) => (counts[outcome] = (counts[outcome] ?? 0) + 1);

    walk: for (;;) {
      const batch = await this.jobs.results(job.jobId, after, BATCH);
      if (batch.length === 0) break;
      for (const result of batch) {
        after = result.index;
        if (result.state === 'done') continue;
        if (result.state === 'dispatched') {
          await this.jobs.recordOutcome(job.jobId, result.index, 'unknown', {});
          count('unknown');
          continue;
        }
        while (inflight.size >= job.concurrency) await Promise.race(inflight);
        if (Date.now() - lastPoll >= POLL_MS) {
          lastPoll = Date.now();
          if ((await this.jobs.find(job.jobId))?.state === 'cancelled') control.cancelled = true;
          await this.jobs.setCounts(job.jobId, counts);
          if (done(counts) !== reported) {
            reported = done(counts);
            this.events.publish(new JobProgressEvent({ ...job, state: 'running', counts: { ...counts } }));
          }
        }
        if (control.cancelled) ending = 'cancelled';
        else if (abortRuleFires(job.abort, counts)) ending = 'aborted';
        if (ending || control.stop) break walk;
        const wait = lastDispatch + interval - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastDispatch = Date.now();
        // The mark is written inside the device's own slot, so `concurrency` marks are in flight at
        // once: written one by one in this loop, they bounded a whole job to one database write
        // at a time (24 devices/s at concurrency 50 on a busy machine, see docs/performance.md).
        const sent: Promise<void> = this.markThenDispatch(job, result, control)
          .then((outcome) => void (outcome && count(outcome)))
          .finally(() => inflight.delete(sent));
        inflight.add(sent);
      }
    }
    // In-flight commands finish, whatever stopped the walk.
    await Promise.all(inflight);
    await this.jobs.setCounts(job.jobId, counts);
    // The last counts go out as progress too, so a job quicker than one poll still reports any.
    if (done(counts) !== reported) {
      this.events.publish(new JobProgressEvent({ ...job, state: 'running', counts: { ...counts } }));
    }
    if (control.stop && !ending) return; // shutting down or lease lost: resumed by the next runner
    const stored = await this.jobs.find(job.jobId);
    const state: JobState = stored?.state === 'cancelled' ? 'cancelled' : (ending ?? 'completed');
    await this.jobs.setState(job.jobId, state, true);
    this.events.publish(new JobFinishedEvent({ ...job, state, counts, finishedAt: new Date() }));
  }

  /** Resolves the job's target, watching for a cancel (re-read about once a second, as while dispatching). */
  private resolve(job: JobRecord, control: Control) {
    let lastPoll = Date.now();
    return this.resolver.resolve(job, async () => {
      if (Date.now() - lastPoll >= POLL_MS) {
        lastPoll = Date.now();
        if ((await this.jobs.find(job.jobId))?.state === 'cancelled') control.cancelled = true;
      }
      return control.stop || control.cancelled;
    });
  }

  /**
   * Marks the device `dispatched`, then sends it the command. When the mark cannot be written
   * (the database is down), the device is not sent anything and the walk stops: the job is
   * left to resume, and the device is still `pending` there, so it is commanded exactly once.
   */
  private async markThenDispatch(
    job: JobRecord,
    result: JobResultRecord,
    control: Control,
  ): Promise<JobOutcome | null> {
    try {
      await this.jobs.markDispatched(job.jobId, result.index);
    } catch (error) {
      this.logger.warn(
        `job ${job.jobId}: could not mark ${result.name} dispatched (${String(error)}); stopping to resume later`,
      );
      control.stop = true;
      return null;
    }
    return this.dispatch(job, result);
  }

  private async dispatch(job: JobRecord, result: JobResultRecord): Promise<JobOutcome> {
    try {
      // Each device's command gets its own id, so it shows in that device's command history,
      // with the job's id.
      const { reply } = await this.invoker.invoke(
        job.ownerId,
        result.name,
        job.api,
        job.params,
        job.timeoutMs,
        sortableId(),
        job.jobId,
      );
      await this.jobs.recordOutcome(job.jobId, result.index, 'ok', { reply });
      return 'ok';
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      const outcome = outcomeOfError(code);
      await this.jobs.recordOutcome(job.jobId, result.index, outcome, {
        error: { code, message: (error as Error).message },
      });
      return outcome;
    }
  }
}

function done(counts: JobRecord['counts']): number {
  return Object.values(counts).reduce<number>((sum, n) => sum + (n ?? 0), 0);
}
