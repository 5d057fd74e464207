import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Registry } from 'prom-client';
import { currentRequest, runInRequest } from '@app/common';
import { shardOf } from '@app/common/device-command';
import { DeviceApi } from '@app/device-protocol';
import { DeviceCommandMetrics } from '../../observability/device-command.metrics';
import { BARRIER_APIS, DeviceDispatcher, FENCE_APIS } from './device-dispatcher';
import { DeviceLink, ReplyListener } from './device-link.port';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

/** A link whose "device" is driven by the test: it records requests and lets the test reply. */
class FakeLink implements DeviceLink {
  readonly sent: { deviceId: string; api: DeviceApi; payload: unknown }[] = [];
  /** The request id of each sent request, in order (what an MQTT 5 device would echo). */
  readonly requestIds: string[] = [];
  online = true;
  failing = false;
  private listener?: ReplyListener;
  private connectionListener?: (deviceId: string, change: 'opened' | 'closed', mqtt5: boolean) => void;

  stalled = false;
  /** What the shard leases say to a replica taking a shard: another replica sent requests on it lately. */
  otherReplicaSent = true;
  readonly leaseReads: number[] = [];

  async send(deviceId: string, api: DeviceApi, payload: Buffer, _ttlMs: number, requestId: string): Promise<boolean> {
    if (this.failing) throw new Error('connection closed');
    if (this.stalled) return new Promise<boolean>(() => undefined); // the broker never confirms
    this.sent.push({ deviceId, api, payload: JSON.parse(payload.toString()) });
    this.requestIds.push(requestId);
    return this.online;
  }
  onReply(listener: ReplyListener): void {
    this.listener = listener;
  }
  otherReplicaSentLately(shard: number): Promise<boolean> {
    this.leaseReads.push(shard);
    return Promise.resolve(this.otherReplicaSent);
  }
  onConnectionChange(listener: (deviceId: string, change: 'opened' | 'closed', mqtt5: boolean) => void): void {
    this.connectionListener = listener;
  }
  connectionChanged(deviceId: string, change: 'opened' | 'closed' = 'opened', mqtt5 = false): void {
    this.connectionListener?.(deviceId, change, mqtt5);
  }
  reply(deviceId: string, api: DeviceApi, body: unknown, requestId?: string): void {
    this.listener?.(deviceId, api, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), requestId);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Fake clocks (timers, Date, performance); setImmediate stays real, so `tick()` still flushes I/O-free work. */
const useFakeClock = () => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });

/** Whether `promise` has settled after pending work ran, with no time passing. */
async function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await tick();
  return settled;
}

describe('DeviceDispatcher', () => {
  let link: FakeLink;
  let dispatcher: DeviceDispatcher;
  let registry: Registry;

  beforeEach(() => {
    link = new FakeLink();
    registry = new Registry();
    dispatcher = new DeviceDispatcher(
      link,
      new ConfigService({ DEVICE_QUEUE_LIMIT: 2, DEVICE_COMMAND_SHARDS: 8 }),
      new DeviceCommandMetrics(registry),
    );
  });

  it('uses as barriers the read apis of the table that take no request fields', () => {
    expect(BARRIER_APIS).toEqual(['get_status', 'get_rtc', 'get_mac', 'get_ip', 'get_subnet', 'get_gateway']);
  });

  /** One sample's value from the registry, by metric name and labels. */
  async function sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const values = (await registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })),
    );
    const match = values.find(
      (v) =>
        v.name === name &&
        Object.entries(labels).every(([key, value]) => String((v.labels as Record<string, unknown>)[key]) === value),
    );
    return match?.value;
  }

  /**
   * The device answers the fence's two barriers in turn: the first reply to each of `apis`
   * (FENCE_APIS unless an orphan displaced one), each once the request before has had its reply.
   */
  async function answerFence(deviceId = A, apis: readonly DeviceApi[] = FENCE_APIS): Promise<void> {
    for (const api of apis) {
      link.reply(deviceId, api, api === 'get_subnet' ? { value: '255.255.255.0' } : { value: '192.168.1.1' });
      await tick();
    }
  }

  /** A get_status call to A, answered by an MQTT 5 device: it echoes the request id. */
  async function statusEchoingItsId(): Promise<void> {
    const call = dispatcher.dispatch(A, 'get_status', {}, 1000);
    await tick();
    link.reply(A, 'get_status', { status: 'running' }, link.requestIds[link.requestIds.length - 1]);
    await call;
  }

  /** The fence answered, the get_status request waiting for it goes out after it, and is answered. */
  async function answerFenceThenStatus(call: Promise<unknown>): Promise<void> {
    await answerFence();
    expect(link.sent.map((s) => s.api)).toEqual([...FENCE_APIS, 'get_status']);
    link.reply(A, 'get_status', { status: 'running' });
    await expect(call).resolves.toMatchObject({ reply: { status: 'running' } });
  }

  it('answers with the validated reply and the device latency', async () => {
    const call = dispatcher.dispatch(A, 'get_gpio', { number: 3 }, 1000);
    await tick();
    expect(link.sent).toEqual([{ deviceId: A, api: 'get_gpio', payload: { number: 3 } }]);
    link.reply(A, 'get_gpio', { number: 3, value: 1 });
    const result = await call;
    expect(result.reply).toEqual({ number: 3, value: 1 });
    expect(result.deviceLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps one request in flight per device, and runs devices in parallel', async () => {
    const first = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 1000);
    const second = dispatcher.dispatch(A, 'get_gpio', { number: 2 }, 1000);
    const other = dispatcher.dispatch(B, 'get_status', {}, 1000);
    await tick();
    expect(link.sent.map((s) => [s.deviceId, s.payload])).toEqual([
      [A, { number: 1 }],
      [B, {}],
    ]);
    link.reply(A, 'get_gpio', { number: 1, value: 0 });
    await expect(first).resolves.toMatchObject({ reply: { number: 1, value: 0 } });
    await tick();
    expect(link.sent.map((s) => s.payload)).toContainEqual({ number: 2 });
    link.reply(A, 'get_gpio', { number: 2, value: 1 });
    link.reply(B, 'get_status', { status: 'running' });
    await expect(second).resolves.toMatchObject({ reply: { number: 2, value: 1 } });
    await expect(other).resolves.toMatchObject({ reply: { status: 'running' } });
  });

  it('refuses with DEVICE_BUSY beyond the waiting limit', async () => {
    const calls = [1, 2, 3].map((n) => dispatcher.dispatch(A, 'get_gpio', { number: n }, 1000));
    await tick();
    // One in flight, two waiting: the limit.
    await expect(dispatcher.dispatch(A, 'get_gpio', { number: 4 }, 1000)).rejects.toMatchObject({
      code: 'DEVICE_BUSY',
    });
    for (const n of [1, 2, 3]) {
      link.reply(A, 'get_gpio', { number: n, value: 0 });
      await tick();
    }
    await Promise.all(calls);
  });

  it('says DEVICE_OFFLINE at once when no queue took the request', async () => {
    useFakeClock();
    try {
      link.online = false;
      const call = dispatcher.dispatch(A, 'get_status', {}, 5000);
      // The clock stands still: only an answer that does not wait for the timeout can settle.
      expect(await settledAtOnce(call)).toBe(true);
      await expect(call).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('says DEVICE_COMMAND_UNAVAILABLE when the broker fails', async () => {
    link.failing = true;
    await expect(dispatcher.dispatch(A, 'get_status', {}, 5000)).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_UNAVAILABLE',
    });
  });

  it('rejects a reply that breaks the schema, or is not JSON, with DEVICE_BAD_REPLY', async () => {
    const bad = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 1000);
    await tick();
    link.reply(A, 'get_gpio', { number: 1, value: 'banana' });
    await expect(bad).rejects.toMatchObject({ code: 'DEVICE_BAD_REPLY' });
    const garbage = dispatcher.dispatch(A, 'get_rtc', {}, 1000);
    await tick();
    link.reply(A, 'get_rtc', 'not json');
    await expect(garbage).rejects.toMatchObject({ code: 'DEVICE_BAD_REPLY' });
  });

  it('times out, and never hands the late reply to the next request', async () => {
    await expect(dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 100)).rejects.toMatchObject({
      code: 'DEVICE_TIMEOUT',
    });

    const next = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 2000);
    await tick();
    // Before the next get_gpio, a barrier with another, read-only API goes out.
    expect(link.sent.map((s) => s.api)).toEqual(['get_gpio', 'get_status']);
    link.reply(A, 'get_gpio', { number: 1, value: 1 }); // the late reply: dropped
    expect(dispatcher.dropped).toBe(1);
    link.reply(A, 'get_status', { status: 'running' }); // barrier answered: late replies are over
    await tick();
    expect(link.sent.map((s) => s.api)).toEqual(['get_gpio', 'get_status', 'get_gpio']);
    link.reply(A, 'get_gpio', { number: 1, value: 0 });
    await expect(next).resolves.toMatchObject({ reply: { number: 1, value: 0 } });

    // What an operator sees of it: one timeout and one ok on the device hop, a barrier, a late reply.
    const exchanges = 'iotcloud_device_exchange_duration_seconds_count';
    expect(await sample(exchanges, { api: 'get_gpio', kind: 'request', outcome: 'timeout' })).toBe(1);
    expect(await sample(exchanges, { api: 'get_gpio', kind: 'request', outcome: 'ok' })).toBe(1);
    expect(await sample(exchanges, { api: 'get_status', kind: 'barrier', outcome: 'ok' })).toBe(1);
    expect(await sample('iotcloud_device_barriers_sent_total')).toBe(1);
    expect(await sample('iotcloud_device_replies_dropped_total', { reason: 'late' })).toBe(1);
    expect(await sample('iotcloud_device_queue_wait_seconds_count')).toBe(2);
  });

  it('counts waiting requests per shard, and no more once they ran', async () => {
    const shard = String(shardOf(A, 8));
    const first = dispatcher.dispatch(A, 'get_status', {}, 1000);
    const second = dispatcher.dispatch(A, 'get_rtc', {}, 1000);
    expect(await sample('iotcloud_device_command_waiting_requests', { shard })).toBe(1); // the first one runs
    await tick();
    link.reply(A, 'get_status', { status: 'running' });
    await first;
    link.reply(A, 'get_rtc', { value: 1700000000 });
    await second;
    expect(await sample('iotcloud_device_command_waiting_requests', { shard })).toBe(0);
  });

  it('logs a late reply under the id of the request that timed out', async () => {
    const ids: (string | undefined)[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {
      ids.push(currentRequest()?.requestId);
    });
    try {
      await expect(
        runInRequest({ requestId: 'req-late-1' }, () => dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 50)),
      ).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
      link.reply(A, 'get_gpio', { number: 1, value: 1 });
      expect(ids).toEqual(['req-late-1']);
    } finally {
      warn.mockRestore();
    }
  });

  it('warns when a reply comes after its request timed out, saying how late', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await expect(dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 50)).rejects.toMatchObject({
        code: 'DEVICE_TIMEOUT',
      });
      link.reply(A, 'get_status', { status: 'running' }); // unsolicited: not a late reply
      expect(warn).not.toHaveBeenCalled();
      link.reply(A, 'get_gpio', { number: 1, value: 1 });
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(new RegExp(`late reply: ${A} get_gpio answered \\d+ ms after`)),
      );
      expect(dispatcher.dropped).toBe(2);
    } finally {
      warn.mockRestore();
    }
  });

  it('gives every request its own id', async () => {
    const first = dispatcher.dispatch(A, 'get_status', {}, 1000);
    const other = dispatcher.dispatch(B, 'get_status', {}, 1000);
    await tick();
    link.reply(A, 'get_status', { status: 'running' }, link.requestIds[0]);
    link.reply(B, 'get_status', { status: 'running' }, link.requestIds[1]);
    await Promise.all([first, other]);
    const second = dispatcher.dispatch(A, 'get_status', {}, 1000);
    await tick();
    link.reply(A, 'get_status', { status: 'running' }, link.requestIds[2]);
    await second;
    expect(new Set(link.requestIds).size).toBe(3);
  });

  it('matches an MQTT 5 device by request id: a late reply is dropped and logged, no barrier needed', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      // The device's first reply echoes its id: from now on it is matched by id.
      const first = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 1000);
      await tick();
      link.reply(A, 'get_gpio', { number: 1, value: 0 }, link.requestIds[0]);
      await first;
      await expect(dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 50)).rejects.toMatchObject({
        code: 'DEVICE_TIMEOUT',
      });
      const next = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 2000);
      await tick();
      // Same API straight away: no barrier request.
      expect(link.sent.map((s) => s.api)).toEqual(['get_gpio', 'get_gpio', 'get_gpio']);
      link.reply(A, 'get_gpio', { number: 1, value: 1 }, link.requestIds[1]); // late: not this request's id
      expect(dispatcher.dropped).toBe(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`dropped a late reply: ${A} get_gpio`));
      link.reply(A, 'get_gpio', { number: 1, value: 1 }, 'no-such-id'); // never asked: unsolicited
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`matches no request in flight: ${A} get_gpio`));
      link.reply(A, 'get_gpio', { number: 1, value: 0 }, link.requestIds[2]);
      await expect(next).resolves.toMatchObject({ reply: { number: 1, value: 0 } });
      // The counters tell the late reply from the unsolicited one, and no barrier was sent.
      expect(await sample('iotcloud_device_replies_dropped_total', { reason: 'late' })).toBe(1);
      expect(await sample('iotcloud_device_replies_dropped_total', { reason: 'unsolicited' })).toBe(1);
      expect(await sample('iotcloud_device_barriers_sent_total')).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });

  it('falls back to the barrier when the device stops echoing ids (e.g. back on MQTT 3.1.1)', async () => {
    await statusEchoingItsId();
    const second = dispatcher.dispatch(A, 'get_status', {}, 1000);
    await tick();
    link.reply(A, 'get_status', { status: 'running' }); // no id
    await second;
    await expect(dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 50)).rejects.toMatchObject({
      code: 'DEVICE_TIMEOUT',
    });
    void dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 1000).catch(() => undefined);
    await tick();
    expect(link.sent.map((s) => s.api)).toEqual(['get_status', 'get_status', 'get_gpio', 'get_status']);
  });

  describe('after a shard takeover (another replica may still have a request out)', () => {
    beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined)); // "shard taken over"
    afterEach(() => jest.restoreAllMocks());

    it('fences before the first request: two barriers, so a late reply to the other replica is dropped', async () => {
      expect(FENCE_APIS).toEqual(['get_subnet', 'get_gateway']);
      dispatcher.delivered(A, 'ctag-new');
      const call = dispatcher.dispatch(A, 'set_gpio', { number: 2, value: 0 }, 2000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet']);
      // The other replica's request, answered late: not this replica's to take.
      link.reply(A, 'set_gpio', { number: 1, value: 1 });
      link.reply(A, 'get_subnet', { value: '255.255.255.0' });
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway']);
      link.reply(A, 'get_gateway', { value: '192.168.1.1' });
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway', 'set_gpio']);
      link.reply(A, 'set_gpio', { number: 2, value: 0 });
      await expect(call).resolves.toMatchObject({ reply: { number: 2, value: 0 } });
      // Counted as a fence (its exchanges as kind="fence"), not as barriers after a timeout.
      expect(await sample('iotcloud_device_fences_total', { reason: 'takeover' })).toBe(1);
      expect(await sample('iotcloud_device_barriers_sent_total')).toBe(0);
      const exchanges = 'iotcloud_device_exchange_duration_seconds_count';
      expect(await sample(exchanges, { api: 'get_gateway', kind: 'fence', outcome: 'ok' })).toBe(1);
    });

    it('holds when the other replica had the first fence api out: the second barrier decides', async () => {
      dispatcher.delivered(A, 'ctag-new');
      const call = dispatcher.dispatch(A, 'get_subnet', {}, 2000);
      await tick();
      // The other replica's get_subnet is answered first: taken for the first barrier.
      link.reply(A, 'get_subnet', { value: '255.255.0.0' });
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway']);
      link.reply(A, 'get_subnet', { value: '255.255.255.0' }); // the first barrier's own reply: dropped
      link.reply(A, 'get_gateway', { value: '192.168.1.1' });
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway', 'get_subnet']);
      link.reply(A, 'get_subnet', { value: '255.255.255.128' });
      await expect(call).resolves.toMatchObject({ reply: { value: '255.255.255.128' } });
    });

    it('fences each device once per takeover, and not at all past the window', async () => {
      useFakeClock();
      try {
        dispatcher.delivered(A, 'ctag-new');
        const first = dispatcher.dispatch(A, 'get_status', {}, 2000);
        await tick();
        await answerFenceThenStatus(first);
        const second = dispatcher.dispatch(A, 'get_status', {}, 2000);
        await tick();
        link.reply(A, 'get_status', { status: 'running' });
        await second;
        expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway', 'get_status', 'get_status']);

        // Another device of a shard taken over long ago: no fence.
        dispatcher.delivered(B, 'ctag-b');
        await jest.advanceTimersByTimeAsync(40_000);
        const late = dispatcher.dispatch(B, 'get_status', {}, 2000);
        await tick();
        expect(link.sent.slice(4).map((s) => s.api)).toEqual(['get_status']);
        link.reply(B, 'get_status', { status: 'running' });
        await late;
      } finally {
        jest.useRealTimers();
      }
    });

    it('fails a request at its own deadline while the fence goes on, and the next request waits for that fence', async () => {
      dispatcher.delivered(A, 'ctag-new');
      await expect(dispatcher.dispatch(A, 'get_status', {}, 50)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet']);
      const next = dispatcher.dispatch(A, 'get_status', {}, 2000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet']); // the same fence, still waiting
      await answerFenceThenStatus(next);
    });

    it('lets a fence wait as long as the request it goes out for has left, when that is over 5 s', async () => {
      useFakeClock();
      try {
        dispatcher.delivered(A, 'ctag-new');
        const call = dispatcher.dispatch(A, 'get_status', {}, 20_000);
        await jest.advanceTimersByTimeAsync(8_000); // a slow device, within the request's 20 s
        await answerFenceThenStatus(call);
      } finally {
        jest.useRealTimers();
      }
    });

    it('after a fence that timed out, fences again around its own late reply', async () => {
      useFakeClock();
      try {
        dispatcher.delivered(A, 'ctag-new');
        const first = dispatcher.dispatch(A, 'get_status', {}, 100);
        first.catch(() => undefined);
        await jest.advanceTimersByTimeAsync(6_000); // the fence's own timeout (5 s) passes
        await expect(first).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
        const next = dispatcher.dispatch(A, 'get_status', {}, 2000);
        await tick();
        // get_subnet is this replica's own orphan now: the fence uses two other apis.
        expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_ip']);
        link.reply(A, 'get_subnet', { value: '255.255.255.0' }); // late: dropped
        link.reply(A, 'get_ip', { value: '192.168.1.10' });
        await tick();
        link.reply(A, 'get_gateway', { value: '192.168.1.1' });
        await tick();
        expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_ip', 'get_gateway', 'get_status']);
        link.reply(A, 'get_status', { status: 'running' });
        await expect(next).resolves.toMatchObject({ reply: { status: 'running' } });
      } finally {
        jest.useRealTimers();
      }
    });

    it('sends no fence when no other replica sent requests on the shard lately (a fresh stack)', async () => {
      link.otherReplicaSent = false;
      dispatcher.delivered(A, 'ctag-new');
      dispatcher.delivered(B, 'ctag-new');
      const calls = [A, B].map((id) => dispatcher.dispatch(id, 'get_status', {}, 1000));
      await tick();
      expect(link.sent.map((s) => [s.deviceId, s.api])).toEqual([
        [A, 'get_status'],
        [B, 'get_status'],
      ]);
      // Asked once per shard and consumer, at its first delivery.
      expect(link.leaseReads).toEqual([...new Set([shardOf(A, 8), shardOf(B, 8)])]);
      for (const id of [A, B]) link.reply(id, 'get_status', { status: 'running' });
      await Promise.all(calls);
      expect(await sample('iotcloud_device_fences_total', { reason: 'takeover' })).toBe(0);
    });

    it('needs no fence for a device that echoes request ids (MQTT 5)', async () => {
      await statusEchoingItsId();
      dispatcher.delivered(A, 'ctag-new');
      const second = dispatcher.dispatch(A, 'get_status', {}, 1000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_status', 'get_status']);
      link.reply(A, 'get_status', { status: 'running' }, link.requestIds[1]);
      await second;
    });
  });

  describe("after a device's connection changed (MQTT 3.x clients re-send unacknowledged replies)", () => {
    it('fails the request out on a connection that closed as of unknown outcome, and drops the re-sent reply as late', async () => {
      const first = dispatcher.dispatch(A, 'get_gpio', { number: 1 }, 1000);
      await tick();
      link.reply(A, 'get_gpio', { number: 1, value: 1 });
      await first;
      const second = dispatcher.dispatch(A, 'get_gpio', { number: 2 }, 5000);
      await tick();
      link.connectionChanged(A, 'opened'); // may come late, after a request on the new connection: no harm done
      expect(await settledAtOnce(second)).toBe(false);
      link.connectionChanged(A, 'closed');
      await expect(second).rejects.toMatchObject({ code: 'DEVICE_COMMAND_UNAVAILABLE' });
      // The first reply, re-sent on the new connection: nobody takes it.
      link.reply(A, 'get_gpio', { number: 1, value: 1 });
      expect(await sample('iotcloud_device_replies_dropped_total', { reason: 'late' })).toBe(1);
    });

    it('fences the next request, so that a reply re-sent meanwhile is not taken for it', async () => {
      link.reply(A, 'get_gpio', { number: 1, value: 1 }); // it replied before: it may re-send that
      link.connectionChanged(A);
      const call = dispatcher.dispatch(A, 'get_gpio', { number: 2 }, 2000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet']);
      link.reply(A, 'get_gpio', { number: 1, value: 1 }); // re-sent: dropped
      await answerFence();
      link.reply(A, 'get_gpio', { number: 2, value: 0 });
      await expect(call).resolves.toMatchObject({ reply: { number: 2, value: 0 } });
      expect(await sample('iotcloud_device_fences_total', { reason: 'reconnect' })).toBe(1);
      // Once: the request after it goes out at once.
      const next = dispatcher.dispatch(A, 'get_status', {}, 2000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_subnet', 'get_gateway', 'get_gpio', 'get_status']);
      link.reply(A, 'get_status', { status: 'running' });
      await next;
    });

    it('fences no device that never replied: it has nothing to re-send', async () => {
      link.connectionChanged(A);
      const call = dispatcher.dispatch(A, 'get_status', {}, 1000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_status']);
      link.reply(A, 'get_status', { status: 'running' });
      await call;
    });

    it('fences no MQTT 5 connection, before any reply told that the device echoes ids', async () => {
      link.reply(A, 'get_status', { status: 'running' }); // replied before, on MQTT 3.1.1
      link.connectionChanged(A, 'opened', true);
      const call = dispatcher.dispatch(A, 'get_status', {}, 1000);
      await tick();
      expect(link.sent.map((s) => s.api)).toEqual(['get_status']);
      link.reply(A, 'get_status', { status: 'running' }, link.requestIds[0]);
      await call;
    });

    it('leaves devices that echo request ids (MQTT 5) alone', async () => {
      await statusEchoingItsId();
      const second = dispatcher.dispatch(A, 'get_status', {}, 1000);
      await tick();
      link.connectionChanged(A);
      link.reply(A, 'get_status', { status: 'running' }, link.requestIds[1]);
      await expect(second).resolves.toMatchObject({ reply: { status: 'running' } });
      expect(link.sent.map((s) => s.api)).toEqual(['get_status', 'get_status']);
    });
  });

  it('drops replies nobody waits for', () => {
    link.reply(A, 'get_status', { status: 'running' });
    expect(dispatcher.dropped).toBe(1);
  });

  it('fails a request whose deadline passed while it waited for the device', async () => {
    useFakeClock();
    try {
      const first = dispatcher.dispatch(A, 'get_status', {}, 1000);
      const second = dispatcher.dispatch(A, 'get_rtc', {}, 100);
      second.catch(() => undefined); // settles while the test still drives the first
      await jest.advanceTimersByTimeAsync(150);
      link.reply(A, 'get_status', { status: 'running' });
      await first;
      await expect(second).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
      expect(link.sent.map((s) => s.api)).toEqual(['get_status']);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('DeviceDispatcher with a stalled broker', () => {
  it('times out a request whose publish is never confirmed, and serves the device again afterwards', async () => {
    const link = new FakeLink();
    link.stalled = true;
    const dispatcher = new DeviceDispatcher(
      link,
      new ConfigService({ DEVICE_QUEUE_LIMIT: 2, DEVICE_COMMAND_SHARDS: 8 }),
      new DeviceCommandMetrics(new Registry()),
    );
    await expect(dispatcher.dispatch(A, 'get_status', {}, 100)).rejects.toMatchObject({ code: 'DEVICE_TIMEOUT' });
    link.stalled = false;
    const next = dispatcher.dispatch(A, 'get_status', {}, 1000);
    await tick();
    // The timed-out get_status may still be answered late: a barrier with another API goes first.
    expect(link.sent.map((s) => s.api)).toEqual(['get_rtc']);
    link.reply(A, 'get_rtc', { rtc: 0 });
    await tick();
    expect(link.sent.map((s) => s.api)).toEqual(['get_rtc', 'get_status']);
    link.reply(A, 'get_status', { status: 'running' });
    await expect(next).resolves.toMatchObject({ reply: { status: 'running' } });
  });
});
