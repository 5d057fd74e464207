import { ReplyRateLimiter } from './reply-rate-limiter';

describe('ReplyRateLimiter', () => {
  it('drops what a device sends over its cap in one second, reports it once, and lets the others through', () => {
    const throttled: string[] = [];
    const limiter = new ReplyRateLimiter(3, (id) => throttled.push(id));
    const flood = Array.from({ length: 10 }, () => limiter.allow('bad', 1000));
    expect(flood).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(limiter.allow('good', 1000)).toBe(true);
    expect(throttled).toEqual(['bad']);
    expect(limiter.allow('bad', 2000)).toBe(true); // a new second
  });

  it('stays bounded', () => {
    const limiter = new ReplyRateLimiter(3, undefined, 10);
    for (let i = 0; i < 100; i++) limiter.allow(`d${i}`, i * 1000);
    expect((limiter as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(10);
  });

  const tracked = (limiter: ReplyRateLimiter) =>
    [...(limiter as unknown as { windows: Map<string, unknown> }).windows.keys()].sort();

  it('counts by the second of a millisecond clock, and reports the cap when the first reply goes over it', () => {
    const throttled: [string, number][] = [];
    const limiter = new ReplyRateLimiter(3, (id, limit) => throttled.push([id, limit]));
    expect([1000, 1300, 1600].map((now) => limiter.allow('dev', now))).toEqual([true, true, true]);
    expect(throttled).toEqual([]);
    expect(limiter.allow('dev', 1999)).toBe(false);
    expect(throttled).toEqual([['dev', 3]]);
  });

  it('forgets only the devices not heard from this second, and only when a new device would pass the bound', () => {
    const limiter = new ReplyRateLimiter(3, undefined, 2);
    limiter.allow('a', 1000);
    limiter.allow('b', 1000);
    limiter.allow('a', 2000); // a known device in a new second: nothing is swept
    expect(tracked(limiter)).toEqual(['a', 'b']);
    limiter.allow('c', 2000); // a new device at the bound: b (last heard at second 1) goes
    expect(tracked(limiter)).toEqual(['a', 'c']);
    limiter.allow('d', 2000); // everyone was heard this second: nothing to sweep, the map grows past the bound
    expect(tracked(limiter)).toEqual(['a', 'c', 'd']);
  });
});
