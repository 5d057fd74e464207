import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';
import { ShardTakeovers, TAKEOVER_WINDOW_MS } from './shard-takeovers';

const D = 'd'.repeat(32);
const E = 'e'.repeat(32);

describe('ShardTakeovers', () => {
  let now: number;
  let takeovers: ShardTakeovers;

  beforeEach(() => {
    now = 1_000_000;
    takeovers = new ShardTakeovers(10_000, () => now);
  });

  it('outlasts the longest request timeout by default', () => {
    expect(TAKEOVER_WINDOW_MS).toBeGreaterThan(DEVICE_TIMEOUT_MS.max);
  });

  it('asks for no fence on a shard this replica never took a delivery on', () => {
    expect(takeovers.needsFence(3, D)).toBe(false);
  });

  it("fences each device once, within the window of a new consumer's first delivery", () => {
    takeovers.delivered(3, 'ctag-1');
    expect(takeovers.needsFence(3, D)).toBe(true);
    takeovers.fenced(3, D);
    expect(takeovers.needsFence(3, D)).toBe(false);
    expect(takeovers.needsFence(3, E)).toBe(true); // another device of the shard: its own fence
    expect(takeovers.needsFence(4, E)).toBe(false); // another shard: no delivery there
  });

  it('counts the window from the first delivery, not from later ones of the same consumer', () => {
    takeovers.delivered(3, 'ctag-1');
    now += 9_999;
    takeovers.delivered(3, 'ctag-1');
    expect(takeovers.needsFence(3, D)).toBe(true);
    now += 1;
    expect(takeovers.needsFence(3, D)).toBe(false);
    takeovers.fenced(3, D); // too late to matter: not remembered
    expect(takeovers.needsFence(3, D)).toBe(false);
  });

  it('opens a new window when another consumer (a re-created one) takes deliveries, forgetting the fenced devices', () => {
    takeovers.delivered(3, 'ctag-1');
    takeovers.fenced(3, D);
    now += 60_000;
    takeovers.delivered(3, 'ctag-2');
    expect(takeovers.needsFence(3, D)).toBe(true);
  });
});
