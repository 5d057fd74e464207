import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { DEVICE_TIMEOUT_MS, isDeviceApi, parseDeviceRequest } from '@app/device-protocol';
import { DEVICE_NAME_PATTERN } from '../../../devices/domain/device';
import { parseTagFilter } from '../../../devices/domain/device-tags';
import { JobRepository } from '../../database/job.repository';
import { JobRecord, JobSelector, JobTarget, MAX_JOB_DEVICES } from '../../domain/job';
import { InvalidJobError } from '../../domain/job.errors';
import { JobRunner } from '../../job-runner';
import { StartJobCommand } from './start-job.command';

/**
 * Validates a job as the single-device routes validate a call (the API and its parameters
 * against the protocol's schema, the timeout within the same bounds) and its target as far as
 * the request alone tells (device names, their number, the selector's form), stores it `queued`
 * with that target in one write, and hands it to the runner. Nothing per device happens here:
 * the runner resolves the target (a selector's devices, one result per device, `total`), so
 * the answer comes at once whatever the job's size (27 s for a 10,000-device selector when this
 * handler resolved it, docs/performance.md). Whether named devices exist is not checked here:
 * each one that does not gets the outcome `not_found`, as the README says.
 */
@CommandHandler(StartJobCommand)
export class StartJobHandler implements ICommandHandler<StartJobCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
  ) {}

  async execute(command: StartJobCommand): Promise<JobRecord> {
    const { api } = command;
    if (!isDeviceApi(api)) throw new InvalidJobError(`unknown device API "${api}"`);
    // Exactly the api's fields, as the document's per-api `params` schema says (deviceRequestJsonSchema).
    const params = parseDeviceRequest(api, command.params, { exact: true }) as Record<string, unknown>;
    if (command.timeoutMs < DEVICE_TIMEOUT_MS.min || command.timeoutMs > DEVICE_TIMEOUT_MS.max) {
      throw new InvalidJobError(`timeoutMs must be ${DEVICE_TIMEOUT_MS.min}..${DEVICE_TIMEOUT_MS.max}`);
    }
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
        createdAt: new Date(),
      },
      checkedTarget(command.target),
    );
    // Runs here unless a runner elsewhere took it first; either way it runs once.
    void this.runner.start(job);
    return job;
  }
}

/**
 * The target as stored: named devices deduplicated (first occurrence kept), a selector with only
 * its criteria. A selector that matches no device is not refused: the job completes with total 0
 * (README, "Bulk commands"), as a listing that matches nothing is an empty page, not an error.
 */
function checkedTarget(target: JobTarget): JobTarget {
  if ('devices' in target) {
    const bad = target.devices.find((name) => !DEVICE_NAME_PATTERN.test(name));
    if (bad !== undefined) throw new InvalidJobError(`"${bad}" is not a device name`);
    if (target.devices.length > MAX_JOB_DEVICES) throw new InvalidJobError(`at most ${MAX_JOB_DEVICES} devices`);
    return { devices: [...new Set(target.devices)] };
  }
  const { selector } = target;
  if (selector.tag !== undefined && !parseTagFilter(selector.tag)) {
    throw new InvalidJobError('selector.tag must be key=value');
  }
  if (selector.tag === undefined && selector.all !== true && selector.online !== true) {
    throw new InvalidJobError('selector needs all: true, a tag, or online: true');
  }
  const stored: JobSelector = {};
  if (selector.all === true) stored.all = true;
  if (selector.tag !== undefined) stored.tag = selector.tag;
  if (selector.online === true) stored.online = true;
  return { selector: stored };
}
