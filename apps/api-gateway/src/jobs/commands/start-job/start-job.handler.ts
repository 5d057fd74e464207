import { CommandHandler, ICommandHandler, QueryBus } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { DEVICE_TIMEOUT_MS, isDeviceApi, parseDeviceRequest } from '@app/device-protocol';
import { DEVICE_NAME_PATTERN } from '../../../devices/domain/device';
import { parseTagFilter } from '../../../devices/domain/device-tags';
import { ListDevicesQuery } from '../../../devices/queries/list-devices/list-devices.query';
import { JobRepository } from '../../database/job.repository';
import { JobRecord, MAX_JOB_DEVICES } from '../../domain/job';
import { InvalidJobError } from '../../domain/job.errors';
import { JobRunner } from '../../job-runner';
import { StartJobCommand } from './start-job.command';

/**
 * Validates a job as the single-device routes validate a call (the API and its parameters
 * against the protocol's schema, the timeout within the same bounds), fixes its device list
 * (a selector is resolved now, possibly to none), persists it with one pending result per device, and hands it
 * to the runner. Answers at once; the job runs in the background.
 */
@CommandHandler(StartJobCommand)
export class StartJobHandler implements ICommandHandler<StartJobCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
    private readonly queries: QueryBus,
  ) {}

  async execute(command: StartJobCommand): Promise<JobRecord> {
    const { api } = command;
    if (!isDeviceApi(api)) throw new InvalidJobError(`unknown device API "${api}"`);
    // Exactly the api's fields, as the document's per-api `params` schema says (deviceRequestJsonSchema).
    const params = parseDeviceRequest(api, command.params, { exact: true }) as Record<string, unknown>;
    if (command.timeoutMs < DEVICE_TIMEOUT_MS.min || command.timeoutMs > DEVICE_TIMEOUT_MS.max) {
      throw new InvalidJobError(`timeoutMs must be ${DEVICE_TIMEOUT_MS.min}..${DEVICE_TIMEOUT_MS.max}`);
    }
    // A selector may match no device now: the job is still made, and completes at once with total 0
    // (README, "Bulk commands"), as a listing that matches nothing is an empty page, not an error.
    const names = await this.targets(command);
    const job = await this.jobs.create(
      {
        jobId: randomBytes(12).toString('hex'),
        ownerId: command.ownerId,
        api,
        params,
        timeoutMs: command.timeoutMs,
        concurrency: command.concurrency,
        ratePerSecond: command.ratePerSecond,
        abort: command.abort ? { minOutcomes: 10, ...command.abort } : undefined,
        total: names.length,
        createdAt: new Date(),
      },
      names,
    );
    // Runs here unless a runner elsewhere took it first; either way it runs once.
    void this.runner.start(job);
    return job;
  }

  private async targets({ ownerId, target }: StartJobCommand): Promise<string[]> {
    if ('devices' in target) {
      const bad = target.devices.find((name) => !DEVICE_NAME_PATTERN.test(name));
      if (bad !== undefined) throw new InvalidJobError(`"${bad}" is not a device name`);
      if (target.devices.length > MAX_JOB_DEVICES) throw new InvalidJobError(`at most ${MAX_JOB_DEVICES} devices`);
      return [...new Set(target.devices)];
    }
    const { selector } = target;
    const tag = selector.tag === undefined ? undefined : parseTagFilter(selector.tag);
    if (selector.tag !== undefined && !tag) throw new InvalidJobError('selector.tag must be key=value');
    if (!tag && selector.all !== true && selector.online !== true) {
      throw new InvalidJobError('selector needs all: true, a tag, or online: true');
    }
    // The devices connected now (presence), when `online`; the target is fixed at creation.
    const devices = await this.queries.execute(
      new ListDevicesQuery(
        ownerId,
        { tags: tag ? [tag] : [], limit: MAX_JOB_DEVICES + 1 },
        selector.online || undefined,
      ),
    );
    if (devices.length > MAX_JOB_DEVICES) throw new InvalidJobError(`at most ${MAX_JOB_DEVICES} devices`);
    return devices.map((d) => d.name);
  }
}
