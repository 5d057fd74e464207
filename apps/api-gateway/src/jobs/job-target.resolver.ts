import { Inject, Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { DEVICE_REPOSITORY, DeviceRepository } from '../devices/database/device.repository.port';
import { DeviceListFilter } from '../devices/domain/device';
import { parseTagFilter } from '../devices/domain/device-tags';
import { ListDevicesQuery } from '../devices/queries/list-devices/list-devices.query';
import { JobRepository } from './database/job.repository';
import { JobRecord, JobSelector, MAX_JOB_DEVICES } from './domain/job';

/** What resolving a job's target came to. */
export type Resolution =
  /** Every device's result is written, and `total` set. */
  | { total: number }
  /** Stopped before the end (the runner stops, lost its lease, or the job was cancelled); redone by the next runner. */
  | { stopped: true }
  /** The target cannot run (a selector that matches more devices than a job takes). */
  | { refused: { code: string; message: string } };

/**
 * Turns a job's target into its results: one `pending` row per device, index 0, 1, …, written
 * in batches. Named devices keep the order they were given in (deduplicated when the job was
 * made); a selector's devices come in name order, a page at a time (the registry's name or tag
 * index, and presence for `online`), so a large selector is never read whole into memory.
 *
 * Idempotent, so a runner that stopped midway (or died) leaves the rest to the next one, and
 * two that overlap (a lease that ran out under a stalled runner) never make a second row for a
 * device: each batch first reads the rows already at its indexes and keeps them as they are
 * (for a selector, listing goes on after the last kept device's name: names only grow, so no
 * device appears twice even if the fleet changed in between); a write that finds a row already
 * there (duplicate `_id`) stops at it, and the batch is read again. `total` is set only once
 * every row is written (and the job's named devices are dropped then: the rows hold them).
 */
@Injectable()
export class JobTargetResolver {
  /** Rows per read and per write; the most devices a job may resolve to. Fields so a unit test can make them small. */
  limits = { batch: 1000, max: MAX_JOB_DEVICES };

  constructor(
    private readonly jobs: JobRepository,
    @Inject(DEVICE_REPOSITORY) private readonly devices: DeviceRepository,
    private readonly queries: QueryBus,
  ) {}

  /** `shouldStop` is asked before each batch. */
  async resolve(job: JobRecord, shouldStop: () => Promise<boolean>): Promise<Resolution> {
    const { batch, max } = this.limits;
    const target = await this.jobs.target(job.jobId);
    // Never read as "every device": a selector without a criterion is refused when the job is made.
    const { all, tag, online } = target && 'selector' in target ? target.selector : { all: true };
    if (!target || (!all && tag === undefined && !online)) {
      return { refused: { code: 'INVALID_JOB', message: 'the job has no target' } };
    }
    let next = 0;
    let after: string | undefined;
    for (;;) {
      if (await shouldStop()) return { stopped: true };
      const written = await this.jobs.results(job.jobId, next - 1, batch);
      if (written.length > 0) {
        // An earlier attempt's rows: they are the job's devices at those indexes, for good.
        for (const row of written) {
          if (row.index !== next) throw new Error(`job ${job.jobId}: result ${next} is missing, ${row.index} is not`);
          next += 1;
          after = row.name;
        }
        continue;
      }
      const names =
        'devices' in target
          ? target.devices.slice(next, next + batch)
          : await this.selected(job.ownerId, target.selector, after, batch);
      if (names.length === 0) break;
      if (next + names.length > max) {
        return { refused: { code: 'INVALID_JOB', message: `the selector matches more than ${max} devices` } };
      }
      if (!(await this.jobs.insertResults(job.jobId, next, names))) continue; // someone else's rows: read them
      next += names.length;
      after = names[names.length - 1];
      if (names.length < batch) break;
    }
    await this.jobs.setResolved(job.jobId, next);
    return { total: next };
  }

  /** One page of the owner's devices the selector matches, in name order, after `after`. */
  private async selected(
    ownerId: string,
    selector: JobSelector,
    after: string | undefined,
    limit: number,
  ): Promise<string[]> {
    const tag = selector.tag === undefined ? undefined : parseTagFilter(selector.tag);
    // Checked when the job was made; a tag that no longer parses must not widen the job to every device.
    if (selector.tag !== undefined && !tag) throw new Error(`job selector tag "${selector.tag}" is not key=value`);
    const filter: DeviceListFilter = { tags: tag ? [tag] : [], after, limit };
    // Presence only when asked for: a read of every page's devices the other selectors do without.
    const devices = selector.online
      ? await this.queries.execute(new ListDevicesQuery(ownerId, filter, true))
      : await this.devices.listActive(ownerId, filter);
    return devices.map((device) => device.name);
  }
}
