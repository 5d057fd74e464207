import { Logger } from '@nestjs/common';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { ShardTakeovers, TAKEOVER_WINDOW_MS } from './shard-takeovers';

const D = 'd'.repeat(32);
const E = 'e'.repeat(32);

describe('ShardTakeovers', () => {
  let now: number;
  /** What the shard's leases say: another replica sent requests on it lately. */
  let otherReplicaSentLately: jest.Mock<Promise<boolean>, [number]>;
  let takeovers: ShardTakeovers;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    now = 1_000_000;
    otherReplicaSentLately = jest.fn<Promise<boolean>, [number]>(async () => true);
    takeovers = new ShardTakeovers(otherReplicaSentLately, 10_000, () => now);
  });

  afterEach(() => jest.restoreAllMocks());

  it('outlasts the longest request timeout by default', () => {
    expect(TAKEOVER_WINDOW_MS).toBeGreaterThan(DEVICE_TIMEOUT_MS.max);
  });

  it('asks for no fence on a shard this replica never took a delivery on', () => {
    expect(takeovers.needsFence(3, D)).toBe(false);
  });

  it("fences each device once, within the window of a new consumer's first delivery", async () => {
    takeovers.delivered(3, 'ctag-1');
    await expect(takeovers.needsFence(3, D)).resolves.toBe(true); // once the leases are read, at once
    expect(takeovers.needsFence(3, D)).toBe(true);
    takeovers.fenced(3, D);
    expect(takeovers.needsFence(3, D)).toBe(false);
    expect(takeovers.needsFence(3, E)).toBe(true); // another device of the shard: its own fence
    expect(takeovers.needsFence(4, E)).toBe(false); // another shard: no delivery there
  });

  it('counts the window from the first delivery, not from later ones of the same consumer', async () => {
    takeovers.delivered(3, 'ctag-1');
    now += 9_999;
    takeovers.delivered(3, 'ctag-1');
    await expect(takeovers.needsFence(3, D)).resolves.toBe(true);
    expect(otherReplicaSentLately).toHaveBeenCalledTimes(1);
    now += 1;
    expect(takeovers.needsFence(3, D)).toBe(false);
    takeovers.fenced(3, D); // too late to matter: not remembered
    expect(takeovers.needsFence(3, D)).toBe(false);
  });

  it('opens a new window when another consumer (a re-created one) takes deliveries, forgetting the fenced devices', async () => {
    takeovers.delivered(3, 'ctag-1');
    takeovers.fenced(3, D);
    now += 60_000;
    takeovers.delivered(3, 'ctag-2');
    await expect(takeovers.needsFence(3, D)).resolves.toBe(true);
    expect(otherReplicaSentLately.mock.calls).toEqual([[3], [3]]);
  });

  it('asks for no fence when no other replica sent requests on the shard lately (a fresh stack)', async () => {
    otherReplicaSentLately.mockResolvedValue(false);
    takeovers.delivered(3, 'ctag-1');
    await expect(takeovers.needsFence(3, D)).resolves.toBe(false);
    expect(takeovers.needsFence(3, E)).toBe(false); // known now: no more asking
    expect(otherReplicaSentLately).toHaveBeenCalledTimes(1);
  });

  it('fences when the leases cannot be read: a takeover must be assumed', async () => {
    otherReplicaSentLately.mockRejectedValue(new Error('no answer from the broker'));
    takeovers.delivered(3, 'ctag-1');
    await expect(takeovers.needsFence(3, D)).resolves.toBe(true);
  });
});
