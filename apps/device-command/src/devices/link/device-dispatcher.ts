import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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
  DEVICE_TIMEOUT_MS,
  DeviceApi,
  decodeDeviceReply,
  deviceApiDefinition,
  encodePayload,
  isDeviceReadApi,
} from '@app/device-protocol';
import { DeviceCommandConfig } from '../../config/device-command.config';
import { DeviceCommandMetrics } from '../../observability/device-command.metrics';
import { DEVICE_LINK, DeviceLink } from './device-link.port';
import { ShardTakeovers } from './shard-takeovers';

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
  /** Sent as MQTT 5 Correlation Data; a device that echoes it is matched by it. */
  requestId: string;
  deliver(body: Buffer): void;
  fail(error: Error): void;
}

interface Orphan {
  timedOutAt: number;
  request?: RequestContext;
}

/**
 * How long after a device's connection changed its next request is fenced: replies an MQTT 3.x
 * client re-sends come at once on its new connection (mqtt.js: before it subscribes again).
 */
const RECONNECT_FENCE_MS = 30_000;
/**
 * How long a fence's barriers wait for their replies at least, whatever the timeout of the request
 * they go out for (longer when that request has longer left): a request with a shorter timeout
 * fails at its own deadline while the fence goes on for the next one. A
 * fence bounded by a short request timeout would time out on a slow device again and again, each
 * time orphaning two more apis, until none is left for a barrier.
 */
const FENCE_TIMEOUT_MS = DEVICE_TIMEOUT_MS.default;
/** Connection changes, and devices that replied, remembered at most (a fleet reconnecting at once). */
const RECONNECTS_KEPT = 100_000;

/** Timed-out request ids of id-echoing devices kept to recognise their late replies. */
const TIMED_OUT_IDS_KEPT = 4096;

interface DeviceState {
  /** The device's shard, as a metrics label. */
  shard: string;
  waiting: Job[];
  running: boolean;
  /** APIs whose request timed out (when, for which request): the device may still answer them, late. */
  orphans: Map<DeviceApi, Orphan>;
  awaiting?: Awaiting;
  /** A fence still running (it may outlive the request it went out for): the next request waits for it. */
  fencing?: Promise<void>;
}

/** Read-only APIs that take no request fields: any of them can be a barrier after a timeout. */
export const BARRIER_APIS: readonly DeviceApi[] = DEVICE_APIS.filter(
  (api) => isDeviceReadApi(api) && Object.keys(deviceApiDefinition(api).request).length === 0,
);

/**
 * The fence before a device's first request after a shard takeover: barriers on these two apis,
 * in turn. The last two barrier apis, so as not to be the ones a previous owner's barrier used
 * (it starts with the first).
 */
export const FENCE_APIS: readonly DeviceApi[] = BARRIER_APIS.slice(-2);

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
 * - After a shard takeover, another replica may still have a request out on a
 *   device, and its late reply would reach this replica too (every replica gets
 *   every reply). Before the first request to a device within TAKEOVER_WINDOW_MS
 *   of this replica's consumer taking the shard, when another replica sent requests
 *   on the shard lately (ShardTakeovers, ShardLeases), a fence: two
 *   barriers on two apis (FENCE_APIS). The other replica's outstanding requests
 *   (at most one per api: it keeps the same discipline) were sent before them,
 *   so their replies come before the second barrier's.
 * - After a device's broker connection changed, the same fence before its next
 *   request: an MQTT 3.x client may publish unacknowledged replies again on its
 *   new connection. A request out on a connection that closed fails at once.
 *
 * Every request also carries a request id (MQTT 5 Correlation Data). A device
 * that echoes it (MQTT 5) is matched by it instead: a reply whose id is not the
 * request in flight is dropped and logged, and its timeouts need no barrier.
 * MQTT 3.x devices never see the id and keep the barrier.
 */
@Injectable()
export class DeviceDispatcher {
  private readonly logger = new Logger(DeviceDispatcher.name);
  private readonly devices = new Map<string, DeviceState>();
  private readonly maxWaiting: number;
  private readonly shards: number;
  private droppedReplies = 0;
  /** Devices whose last reply echoed its request id: their late replies cannot be mistaken. */
  private readonly echoingIds = new Set<string>();
  private nextRequestId = 0;
  /**
   * Request ids that timed out on devices that echo ids (no barrier for them), so that their
   * late replies are still told from unsolicited ones; the most recent TIMED_OUT_IDS_KEPT only.
   */
  private readonly timedOutIds = new Map<string, Orphan & { deviceId: string }>();
  private readonly instance = randomBytes(4).toString('hex');
  private readonly takeovers: ShardTakeovers;
  /** Devices whose broker connection changed lately (when): their next request is fenced. */
  private readonly reconnected = new Map<string, number>();
  /**
   * Devices seen to reply without a request id, most recent last: only they may publish a reply
   * again after reconnecting (a device that never replied has nothing to re-send).
   */
  private readonly replied = new Set<string>();

  constructor(
    @Inject(DEVICE_LINK) private readonly link: DeviceLink,
    config: ConfigService<DeviceCommandConfig, true>,
    private readonly metrics: DeviceCommandMetrics,
  ) {
    this.maxWaiting = config.get('DEVICE_QUEUE_LIMIT', { infer: true });
    this.shards = config.get('DEVICE_COMMAND_SHARDS', { infer: true });
    this.takeovers = new ShardTakeovers((shard) => link.otherReplicaSentLately(shard));
    link.onReply((deviceId, api, body, requestId) => this.onReply(deviceId, api, body, requestId));
    link.onConnectionChange((deviceId, change, mqtt5) => this.onConnectionChange(deviceId, change, mqtt5));
  }

  /**
   * The device's broker connection closed or a new one opened. Replies it published before may be
   * published again on a new connection (MQTT 3.x QoS 1): its next request is fenced, so that they
   * are not taken for it. A request out on a connection that closed is lost or, when its reply is
   * re-sent, answered late: it fails now, of unknown outcome, and its api is orphaned. (Not on an
   * opening: the event may come late, after a request went out on the new connection.) Devices that
   * echo request ids (MQTT 5) need neither.
   */
  private onConnectionChange(deviceId: string, change: 'opened' | 'closed', mqtt5: boolean): void {
    if (mqtt5) this.echoingIds.add(deviceId); // until a reply without an id says otherwise
    if (this.echoingIds.has(deviceId) || !this.replied.has(deviceId)) {
      this.reconnected.delete(deviceId);
      return;
    }
    this.reconnected.delete(deviceId);
    this.reconnected.set(deviceId, Date.now());
    if (this.reconnected.size > RECONNECTS_KEPT) {
      this.reconnected.delete(this.reconnected.keys().next().value as string);
    }
    const state = this.devices.get(deviceId);
    const awaiting = state?.awaiting;
    if (change !== 'closed' || !state || !awaiting) return;
    state.orphans.set(awaiting.api, { timedOutAt: performance.now() });
    awaiting.fail(
      new DeviceCommandUnavailableError(
        `the device's connection closed while its ${awaiting.api} request was out: it may or may not have run`,
      ),
    );
  }

  /** Whether the device's connection changed within RECONNECT_FENCE_MS, and it has not been fenced since. */
  private reconnectedLately(deviceId: string): boolean {
    const at = this.reconnected.get(deviceId);
    if (at === undefined) return false;
    if (Date.now() - at < RECONNECT_FENCE_MS) return true;
    this.reconnected.delete(deviceId);
    return false;
  }

  /** Replies dropped because no request was waiting for them (late or unsolicited). */
  get dropped(): number {
    return this.droppedReplies;
  }

  /**
   * A request for `deviceId` was delivered from its shard queue to the consumer `consumer`
   * (its consumer tag): a new consumer may have taken the shard over from another replica.
   */
  delivered(deviceId: string, consumer: string): void {
    this.takeovers.delivered(shardOf(deviceId, this.shards), consumer);
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
    if (state.orphans.size === 0 && !state.awaiting && !state.fencing) this.devices.delete(deviceId);
  }

  private async run(deviceId: string, state: DeviceState, job: Job): Promise<DispatchResult> {
    if (Date.now() >= job.deadline) throw new DeviceTimeoutError(deviceId, job.timeoutMs);
    if (state.fencing) await this.beforeDeadline(state.fencing, deviceId, job);
    const shard = Number(state.shard);
    let takenOver = !this.echoingIds.has(deviceId) && this.takeovers.needsFence(shard, deviceId);
    if (typeof takenOver !== 'boolean') takenOver = await this.beforeDeadline(takenOver, deviceId, job);
    if (!this.echoingIds.has(deviceId) && (takenOver || this.reconnectedLately(deviceId))) {
      const fencedFrom = this.reconnected.get(deviceId);
      this.metrics.fences.inc({ reason: takenOver ? 'takeover' : 'reconnect' });
      const fencing = this.fence(deviceId, state, job).then(() => {
        this.takeovers.fenced(shard, deviceId);
        // A connection change during the fence asks for another.
        if (this.reconnected.get(deviceId) === fencedFrom) this.reconnected.delete(deviceId);
      });
      const tracked: Promise<void> = fencing
        .catch(() => undefined) // its failure is the request's, if it still waits
        .finally(() => {
          if (state.fencing === tracked) state.fencing = undefined;
          if (!state.running && state.orphans.size === 0 && !state.awaiting) this.devices.delete(deviceId);
        });
      state.fencing = tracked;
      await this.beforeDeadline(fencing, deviceId, job);
    }
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

  /**
   * Fences off replies to requests another replica may still have out on the device (after a
   * shard takeover), whose apis are unknown here: a barrier on one api, then on another. Each
   * api has at most one such request out (that replica sent one request at a time, and a new
   * request of a timed-out api only after a barrier), and the device answers in order. The
   * first reply on the first api is that api's outstanding one or the first barrier's; either
   * way, the first reply on the second api then is the second barrier's, unless the other
   * replica had both apis out in this order, which its barriers (they start with the first
   * barrier api) and user requests of two rarely used apis make unlikely, not impossible.
   * After a reconnection the replies re-sent are published before the device subscribes again,
   * so before it can receive the fence; they are only mistaken if still in transit to this
   * replica when the fence goes out and on these two apis.
   */
  private async fence(deviceId: string, state: DeviceState, job: Job): Promise<void> {
    // This replica's own late replies (its orphans) are known: the fence uses other apis.
    const apis = BARRIER_APIS.filter((api) => !state.orphans.has(api)).slice(-FENCE_APIS.length);
    if (apis.length < FENCE_APIS.length) throw new DeviceTimeoutError(deviceId, job.timeoutMs);
    // At least FENCE_TIMEOUT_MS, and never less than the request it goes out for has left.
    const deadline = Math.max(job.deadline, Date.now() + FENCE_TIMEOUT_MS);
    const fenceJob: Job = { ...job, deadline, timeoutMs: Math.max(job.timeoutMs, FENCE_TIMEOUT_MS) };
    for (const api of apis) await this.timedExchange('fence', deviceId, state, api, {}, fenceJob, () => undefined);
    // Every reply sent before the second barrier's has arrived, this replica's own late ones too.
    state.orphans.clear();
  }

  /** `work`, or DEVICE_TIMEOUT at the request's deadline, whichever comes first (`work` goes on). */
  private beforeDeadline<T>(work: Promise<T>, deviceId: string, job: Job): Promise<T> {
    const remaining = job.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new DeviceTimeoutError(deviceId, job.timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeviceTimeoutError(deviceId, job.timeoutMs)), remaining);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** One exchange with the device, observed as the device hop (a barrier's too: it waits on the same path). */
  private async timedExchange<T>(
    kind: 'request' | 'barrier' | 'fence',
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
        const orphan: Orphan = { timedOutAt: performance.now(), request: job.request };
        if (this.echoingIds.has(deviceId)) this.rememberTimedOut(awaiting.requestId, deviceId, orphan);
        else state.orphans.set(api, orphan);
        reject(new DeviceTimeoutError(deviceId, job.timeoutMs));
      }, remaining);
      const awaiting: Awaiting = {
        api,
        requestId: `${this.instance}-${(this.nextRequestId++).toString(36)}`,
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
      this.link.send(deviceId, api, encodePayload(params), remaining, awaiting.requestId).then(
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

  private onReply(deviceId: string, api: DeviceApi, body: Buffer, requestId?: string): void {
    const state = this.devices.get(deviceId);
    const awaiting = state?.awaiting;
    if (requestId !== undefined) {
      this.echoingIds.add(deviceId);
      if (awaiting && awaiting.api === api && awaiting.requestId === requestId) {
        awaiting.deliver(body);
        return;
      }
      const timedOut = this.timedOutIds.get(requestId);
      if (timedOut?.deviceId === deviceId) this.timedOutIds.delete(requestId);
      this.dropReply(deviceId, api, timedOut?.deviceId === deviceId ? timedOut : undefined, requestId);
      return;
    }
    this.echoingIds.delete(deviceId);
    this.replied.delete(deviceId);
    this.replied.add(deviceId);
    if (this.replied.size > RECONNECTS_KEPT) this.replied.delete(this.replied.values().next().value as string);
    if (awaiting && awaiting.api === api) {
      awaiting.deliver(body);
      return;
    }
    this.dropReply(deviceId, api, state?.orphans.get(api));
  }

  private rememberTimedOut(requestId: string, deviceId: string, orphan: Orphan): void {
    this.timedOutIds.set(requestId, { ...orphan, deviceId });
    if (this.timedOutIds.size > TIMED_OUT_IDS_KEPT) {
      this.timedOutIds.delete(this.timedOutIds.keys().next().value as string);
    }
  }

  /** Counts and logs a reply no request in flight waits for: late (its request timed out) or unsolicited. */
  private dropReply(deviceId: string, api: DeviceApi, orphan: Orphan | undefined, requestId?: string): void {
    this.droppedReplies += 1;
    this.metrics.droppedReplies.inc({ reason: orphan ? 'late' : 'unsolicited' });
    const id = requestId === undefined ? '' : ` (id ${JSON.stringify(requestId.slice(0, 64))})`;
    if (orphan) {
      // Worth an operator's attention: a device (or the path to it) slower than the callers' timeout.
      // Logged under the id of the request that timed out, so it sits next to that request's lines.
      const late = Math.round(performance.now() - orphan.timedOutAt);
      runInRequest(orphan.request, () =>
        this.logger.warn(
          `dropped a late reply: ${deviceId} ${api}${id} answered ${late} ms after its request timed out`,
        ),
      );
    } else if (requestId !== undefined) {
      this.logger.warn(`dropped a reply whose request id matches no request in flight: ${deviceId} ${api}${id}`);
    } else {
      this.logger.debug(`dropped a reply nobody waits for: ${deviceId} ${api}`);
    }
  }
}
