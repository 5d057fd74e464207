/** What `holdTimers` hands a test. */
export interface HeldTimers {
  /** How many timers of that delay are waiting for release(). */
  held(): number;
  /** Fires them now, in the order they were set. */
  release(): void;
  /** Puts the real setTimeout back. */
  restore(): void;
}

/**
 * Holds back every timer set for exactly `ms` until the test releases it, so a test
 * can show that something waits for that timer without measuring elapsed time (which
 * depends on how busy the machine is). Pick a delay no library uses (e.g. 4321).
 */
export function holdTimers(ms: number): HeldTimers {
  const realSetTimeout = global.setTimeout;
  const pending: (() => void)[] = [];
  const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((
    callback: (...args: unknown[]) => void,
    delay?: number,
    ...args: unknown[]
  ) => {
    if (delay !== ms) return realSetTimeout(callback, delay, ...args);
    pending.push(() => callback(...args));
    // A handle the code under test may clear; the held callback stays with the test.
    return realSetTimeout(() => undefined, 0);
  }) as typeof setTimeout);
  return {
    held: () => pending.length,
    release: () => pending.splice(0).forEach((fire) => fire()),
    restore: () => spy.mockRestore(),
  };
}
