import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  DeviceBusyError,
  DeviceCommandUnavailableError,
  DeviceOfflineError,
  DeviceTimeoutError,
  DomainError,
} from '@app/common';
import { DeviceApi, decodeDeviceReply, encodePayload } from '@app/device-protocol';
import { DeviceCommandConfig } from '../../config/device-command.config';
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
  resolve(result: DispatchResult): void;
  reject(error: unknown): void;
}

interface Awaiting {
  api: DeviceApi;
  deliver(body: Buffer): void;
  fail(error: Error): void;
}

interface DeviceState {
  waiting: Job[];
  running: boolean;
  /** APIs whose request timed out (and when): the device may still answer them, late. */
  orphans: Map<DeviceApi, number>;
  awaiting?: Awaiting;
}

/** Read-only APIs, usable as a barrier after a timeout. */
const BARRIER_APIS: readonly DeviceApi[] = ['get_status', 'get_rtc', 'get_mac', 'get_ip', 'get_subnet', 'get_gateway'];

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
  private droppedReplies = 0;

  constructor(
    @Inject(DEVICE_LINK) private readonly link: DeviceLink,
    config: ConfigService<DeviceCommandConfig, true>,
  ) {
    this.maxWaiting = config.get('DEVICE_QUEUE_LIMIT', { infer: true });
    link.onReply((deviceId, api, body) => this.onReply(deviceId, api, body));
  }

  /** Replies dropped because no request was waiting for them (late or unsolicited). */
  get dropped(): number {
    return this.droppedReplies;
  }

  dispatch(deviceId: string, api: DeviceApi, params: object, timeoutMs: number): Promise<DispatchResult> {
    let state = this.devices.get(deviceId);
    if (!state) {
      state = { waiting: [], running: false, orphans: new Map() };
      this.devices.set(deviceId, state);
    }
    if (state.waiting.length >= this.maxWaiting) return Promise.reject(new DeviceBusyError(deviceId, this.maxWaiting));
    const deadline = Date.now() + timeoutMs;
    return new Promise<DispatchResult>((resolve, reject) => {
      state.waiting.push({ api, params, deadline, timeoutMs, resolve, reject });
      if (!state.running) void this.drain(deviceId, state);
    });
  }

  private async drain(deviceId: string, state: DeviceState): Promise<void> {
    state.running = true;
    for (let job = state.waiting.shift(); job; job = state.waiting.shift()) {
      try {
        job.resolve(await this.run(deviceId, state, job));
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
    const body = await this.exchange(deviceId, state, job.api, job.params, job);
    const deviceLatencyMs = performance.now() - started;
    return { reply: decodeDeviceReply(job.api, body), deviceLatencyMs };
  }

  private async barrier(deviceId: string, state: DeviceState, job: Job): Promise<void> {
    const api = BARRIER_APIS.find((candidate) => !state.orphans.has(candidate));
    if (!api) throw new DeviceTimeoutError(deviceId, job.timeoutMs);
    await this.exchange(deviceId, state, api, {}, job);
    // The barrier's reply is in: any late reply was sent before it and has been dropped.
    state.orphans.clear();
  }

  /** Sends one request and waits for the matching reply's raw body. */
  private exchange(deviceId: string, state: DeviceState, api: DeviceApi, params: object, job: Job): Promise<Buffer> {
    const remaining = job.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new DeviceTimeoutError(deviceId, job.timeoutMs));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (state.awaiting !== awaiting) return;
        state.awaiting = undefined;
        state.orphans.set(api, performance.now());
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
    const timedOutAt = state?.orphans.get(api);
    if (timedOutAt !== undefined) {
      // Worth an operator's attention: a device (or the path to it) slower than the callers' timeout.
      const late = Math.round(performance.now() - timedOutAt);
      this.logger.warn(`dropped a late reply: ${deviceId} ${api} answered ${late} ms after its request timed out`);
    } else {
      this.logger.debug(`dropped a reply nobody waits for: ${deviceId} ${api}`);
    }
  }
}
