import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { DomainError, sortableId } from '@app/common';
import { DeviceInvoker } from '../device-control/device-invoker';
import { JobRepository } from './database/job.repository';
import { abortRuleFires, JobOutcome, JobRecord, JobResultRecord, JobState, outcomeOfError } from './domain/job';
import { JobDeviceOutcomeEvent, JobFinishedEvent } from './domain/job.events';

const BATCH = 500;
/** How often a running job re-reads its state (a cancel from another replica) and saves its counts. */
const POLL_MS = 1000;

interface Control {
  /** This process is shutting down: stop dispatching, leave the job to resume. */
  stop: boolean;
  /** Cancelled here: stop dispatching at once. */
  cancelled: boolean;
  done: Promise<void>;
}

/**
 * Runs jobs: walks a job's results in order and sends each pending device the command
 * through the same path as an interactive call (DeviceInvoker → device-command, which keeps
 * one request in flight per device), at most `concurrency` at once and `ratePerSecond`.
 * Each device is marked `dispatched` before its command goes out and `done` with its
 * outcome after; a runner that finds `dispatched` (the previous one stopped in between)
 * records `unknown` and never sends it again. Jobs still queued or running are resumed at
 * start-up.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobRunner.name);
  private readonly running = new Map<string, Control>();

  constructor(
    private readonly jobs: JobRepository,
    private readonly invoker: DeviceInvoker,
    private readonly events: EventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const unfinished = await this.jobs.unfinished().catch((error: unknown) => {
      this.logger.error(`could not look for jobs to resume: ${String(error)}`);
      return [];
    });
    for (const job of unfinished) {
      this.logger.log(`resuming job ${job.jobId} (${job.state})`);
      this.start(job);
    }
  }

  start(job: JobRecord): void {
    if (this.running.has(job.jobId)) return;
    const control: Control = { stop: false, cancelled: false, done: Promise.resolve() };
    control.done = this.run(job, control)
      .catch((error: unknown) => this.logger.error(`job ${job.jobId} stopped: ${String(error)}`))
      .finally(() => this.running.delete(job.jobId));
    this.running.set(job.jobId, control);
  }

  /** Stops dispatching a job this process runs (its state is already `cancelled` in the database). */
  cancel(jobId: string): void {
    const control = this.running.get(jobId);
    if (control) control.cancelled = true;
  }

  async onModuleDestroy(): Promise<void> {
    for (const control of this.running.values()) control.stop = true;
    await Promise.all([...this.running.values()].map((c) => c.done));
  }

  private async run(job: JobRecord, control: Control): Promise<void> {
    if (job.state === 'queued') await this.jobs.setState(job.jobId, 'running');
    const counts: JobRecord['counts'] = { ...job.counts };
    const inflight = new Set<Promise<void>>();
    const interval = job.ratePerSecond ? 1000 / job.ratePerSecond : 0;
    let lastDispatch = 0;
    let lastPoll = Date.now();
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
          await this.record(job, result, 'unknown', {});
          count('unknown');
          continue;
        }
        while (inflight.size >= job.concurrency) await Promise.race(inflight);
        if (Date.now() - lastPoll >= POLL_MS) {
          lastPoll = Date.now();
          if ((await this.jobs.find(job.jobId))?.state === 'cancelled') control.cancelled = true;
          await this.jobs.setCounts(job.jobId, counts);
        }
        if (control.cancelled) ending = 'cancelled';
        else if (abortRuleFires(job.abort, counts)) ending = 'aborted';
        if (ending || control.stop) break walk;
        const wait = lastDispatch + interval - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastDispatch = Date.now();
        await this.jobs.markDispatched(job.jobId, result.index);
        const sent: Promise<void> = this.dispatch(job, result)
          .then((outcome) => void count(outcome))
          .finally(() => inflight.delete(sent));
        inflight.add(sent);
      }
    }
    // In-flight commands finish, whatever stopped the walk.
    await Promise.all(inflight);
    await this.jobs.setCounts(job.jobId, counts);
    if (control.stop && !ending) return; // shutting down: resumed at the next start-up
    const stored = await this.jobs.find(job.jobId);
    const state: JobState = stored?.state === 'cancelled' ? 'cancelled' : (ending ?? 'completed');
    await this.jobs.setState(job.jobId, state, true);
    this.events.publish(new JobFinishedEvent({ ...job, state, counts, finishedAt: new Date() }));
  }

  private async dispatch(job: JobRecord, result: JobResultRecord): Promise<JobOutcome> {
    try {
      // Each device's command gets its own id, so it shows in that device's command history.
      const { reply } = await this.invoker.invoke(
        job.ownerId,
        result.name,
        job.api,
        job.params,
        job.timeoutMs,
        sortableId(),
      );
      await this.record(job, result, 'ok', { reply });
      return 'ok';
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      const outcome = outcomeOfError(code);
      await this.record(job, result, outcome, { error: { code, message: (error as Error).message } });
      return outcome;
    }
  }

  private async record(
    job: JobRecord,
    result: JobResultRecord,
    outcome: JobOutcome,
    detail: { reply?: Record<string, unknown>; error?: { code: string; message: string } },
  ): Promise<void> {
    await this.jobs.recordOutcome(job.jobId, result.index, outcome, detail);
    this.events.publish(
      new JobDeviceOutcomeEvent(job.jobId, job.ownerId, result.name, job.api, outcome, new Date(), detail.reply),
    );
  }
}
