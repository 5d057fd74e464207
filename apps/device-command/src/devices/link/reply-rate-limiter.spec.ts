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
});
