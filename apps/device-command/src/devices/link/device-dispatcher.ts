import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError } from '@app/common';
import {
  DeviceBusyError,
  DeviceCommandUnavailableError,
  DeviceOfflineError,
  DeviceTimeoutError,
  shardOf,
} from '@app/common/device-command';
import { RequestContext, currentRequest, runInRequest } from '@app/common';
import { deviceCallOutcome, secondsSince } from '@app/common/nest';
import {
  DEVICE_APIS,
  DeviceApi,
  decodeDeviceReply,
  deviceApiDefinition,
  encodePayload,
  isDeviceReadApi,
} from '@app/device-protocol';
import { DeviceCommandConfig } from '../../config/device-command.config';
import { DeviceCommandMetrics } from '../../observability/device-command.metrics';
import { DEVICE_LINK, DeviceLink } from './device-link.port';

export interface DispatchResult {
  reply: Record<string, unknown>;
  deviceLatencyMs: number;
}

interface Job {
  api: DeviceApi;
  params: object;
  deadline: number;
  timeoutMs: number;
  enqueuedAt: number;
  /** The request it serves, so what is logged while it runs carries its id. */
  request?: RequestContext;
  resolve(result: DispatchResult): void;
  reject(error: unknown): void;
}

interface Awaiting {
  api: DeviceApi;
  deliver(body: Buffer): void;
  fail(error: Error): void;
}

interface Orphan {
  timedOutAt: number;
  request?: RequestContext;
}

interface DeviceState {
  /** The device's shard, as a metrics label. */
  shard: string;
  waiting: Job[];
  running: boolean;
  /** APIs whose request timed out (when, for which request): the device may still answer them, late. */
  orphans: Map<DeviceApi, Orphan>;
  awaiting?: Awaiting;
}

/** Read-only APIs that take no request fields: any of them can be a barrier after a timeout. */
export const BARRIER_APIS: readonly DeviceApi[] = DEVICE_APIS.filter(
  (api) => isDeviceReadApi(api) && Object.keys(deviceApiDefinition(api).request).length === 0,
);

/**
 * Talks to devices one request at a time. The protocol carries no request id,
 * so a reply is matched by device and API only; this class makes that safe:
 *
 * - Per device, one request is in flight; others wait in a bounded FIFO
 *   (beyond the limit: DEVICE_BUSY). Different devices run fully in parallel.
 * - A timed-out request leaves its API "orphaned": the device may still answer
 *   it. Before the next request to that device, a barrier request with another,
 *   read-only API is sent; devices answer in order, so once the barrier's reply
 *   is in, every late reply has arrived (and was dropped). A late reply is never
 *   handed to a later request.
 * - A reply with no request waiting for it is dropped.
 */
@Injectable()
export class DeviceDispatcher {
  private readonly logger = new Logger(DeviceDispatcher.name);
  private readonly devices = new Map<string, DeviceState>();
  private readonly maxWaiting: number;
  private readonly shards: number;
  private droppedReplies = 0;

  constructor(
    @Inject(DEVICE_LINK) private readonly link: DeviceLink,
    config: ConfigService<DeviceCommandConfig, true>,
    private readonly metrics: DeviceCommandMetrics,
  ) {
    this.maxWaiting = config.get('DEVICE_QUEUE_LIMIT', { infer: true });
    this.shards = config.get('DEVICE_COMMAND_SHARDS', { infer: true });
    link.onReply((deviceId, api, body) => this.onReply(deviceId, api, body));
  }

  /** Replies dropped because no request was waiting for them (late or unsolicited). */
  get dropped(): number {
    return this.droppedReplies;
  }

  dispatch(deviceId: string, api: DeviceApi, params: object, timeoutMs: number): Promise<DispatchResult> {
    let state = this.devices.get(deviceId);
    if (!state) {
      state = { shard: String(shardOf(deviceId, this.shards)), waiting: [], running: false, orphans: new Map() };
      this.devices.set(deviceId, state);
    }
    if (state.waiting.length >= this.maxWaiting) return Promise.reject(new DeviceBusyError(deviceId, this.maxWaiting));
    const deadline = Date.now() + timeoutMs;
    const request = currentRequest();
    return new Promise<DispatchResult>((resolve, reject) => {
      state.waiting.push({ api, params, deadline, timeoutMs, enqueuedAt: performance.now(), request, resolve, reject });
      this.metrics.waitingRequests.inc({ shard: state.shard });
      if (!state.running) void this.drain(deviceId, state);
    });
  }

  private async drain(deviceId: string, state: DeviceState): Promise<void> {
    state.running = true;
    for (let job = state.waiting.shift(); job; job = state.waiting.shift()) {
      this.metrics.waitingRequests.dec({ shard: state.shard });
      this.metrics.queueWait.observe(secondsSince(job.enqueuedAt));
      const current = job;
      try {
        job.resolve(await runInRequest(job.request, () => this.run(deviceId, state, current)));
      } catch (error) {
        job.reject(error);
      }
    }
    state.running = false;
    if (state.orphans.size === 0 && !state.awaiting) this.devices.delete(deviceId);
  }

  private async run(deviceId: string, state: DeviceState, job: Job): Promise<DispatchResult> {
    if (Date.now() >= job.deadline) throw new DeviceTimeoutError(deviceId, job.timeoutMs);
    if (state.orphans.size > 0) await this.barrier(deviceId, state, job);
    const started = performance.now();
    const body = await this.timedExchange('request', deviceId, state, job.api, job.params, job, (raw) =>
      decodeDeviceReply(job.api, raw),
    );
    return { reply: body, deviceLatencyMs: performance.now() - started };
  }

  private async barrier(deviceId: string, state: DeviceState, job: Job): Promise<void> {
    const api = BARRIER_APIS.find((candidate) => !state.orphans.has(candidate));
    if (!api) throw new DeviceTimeoutError(deviceId, job.timeoutMs);
    this.metrics.barriersSent.inc();
    await this.timedExchange('barrier', deviceId, state, api, {}, job, () => undefined);
    // The barrier's reply is in: any late reply was sent before it and has been dropped.
    state.orphans.clear();
  }

  /** One exchange with the device, observed as the device hop (a barrier's too: it waits on the same path). */
  private async timedExchange<T>(
    kind: 'request' | 'barrier',
    deviceId: string,
    state: DeviceState,
    api: DeviceApi,
    params: object,
    job: Job,
    decode: (body: Buffer) => T,
  ): Promise<T> {
    const started = performance.now();
    let failure: unknown;
    try {
      return decode(await this.exchange(deviceId, state, api, params, job));
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const outcome = deviceCallOutcome(failure);
      this.metrics.deviceExchangeDuration.observe({ api, kind, outcome }, secondsSince(started));
    }
  }

  /** Sends one request and waits for the matching reply's raw body. */
  private exchange(deviceId: string, state: DeviceState, api: DeviceApi, params: object, job: Job): Promise<Buffer> {
    const remaining = job.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new DeviceTimeoutError(deviceId, job.timeoutMs));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (state.awaiting !== awaiting) return;
        state.awaiting = undefined;
        state.orphans.set(api, { timedOutAt: performance.now(), request: job.request });
        reject(new DeviceTimeoutError(deviceId, job.timeoutMs));
      }, remaining);
      const awaiting: Awaiting = {
        api,
        deliver: (body) => {
          clearTimeout(timer);
          state.awaiting = undefined;
          resolve(body);
        },
        fail: (error) => {
          clearTimeout(timer);
          state.awaiting = undefined;
          reject(error);
        },
      };
      state.awaiting = awaiting;
      this.link.send(deviceId, api, encodePayload(params), remaining).then(
        (routed) => {
          if (!routed && state.awaiting === awaiting) awaiting.fail(new DeviceOfflineError(deviceId));
        },
        (error: unknown) => {
          if (state.awaiting !== awaiting) return;
          awaiting.fail(
            error instanceof DomainError
              ? error
              : new DeviceCommandUnavailableError(`broker unreachable (${String(error)})`),
          );
        },
      );
    });
  }

  private onReply(deviceId: string, api: DeviceApi, body: Buffer): void {
    const state = this.devices.get(deviceId);
    const awaiting = state?.awaiting;
    if (awaiting && awaiting.api === api) {
      awaiting.deliver(body);
      return;
    }
    this.droppedReplies += 1;
    const orphan = state?.orphans.get(api);
    this.metrics.droppedReplies.inc({ reason: orphan ? 'late' : 'unsolicited' });
    if (orphan) {
      // Worth an operator's attention: a device (or the path to it) slower than the callers' timeout.
      // Logged under the id of the request that timed out, so it sits next to that request's lines.
      const late = Math.round(performance.now() - orphan.timedOutAt);
      runInRequest(orphan.request, () =>
        this.logger.warn(`dropped a late reply: ${deviceId} ${api} answered ${late} ms after its request timed out`),
      );
    } else {
      this.logger.debug(`dropped a reply nobody waits for: ${deviceId} ${api}`);
    }
  }
}
