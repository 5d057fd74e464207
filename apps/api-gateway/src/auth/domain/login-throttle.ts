import { DomainError } from '@app/common';

export class TooManyLoginAttemptsError extends DomainError {
  readonly code = 'TOO_MANY_LOGIN_ATTEMPTS';
  readonly kind = 'rate_limited' as const;
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed logins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export interface LoginThrottleLimits {
  /** Failures allowed per username within the window. */
  perUsername: number;
  /** Failures allowed per client address within the window. */
  perAddress: number;
  windowMs: number;
}

/** A key's failures in its current window, which ends at `resetAt` (ms since the epoch). */
export interface FailureWindow {
  failures: number;
  resetAt: number;
}

export const LOGIN_FAILURE_STORE = Symbol('LOGIN_FAILURE_STORE');

/**
 * Where failure counts live. Shared by every gateway replica (the database), so
 * N replicas do not give an attacker N times the attempts.
 */
export interface LoginFailureStore {
  /** The key's window, or null when it has none or it ended before `now`. */
  get(key: string, now: number): Promise<FailureWindow | null>;
  /** Counts one failure: in the key's window, or in a new one of `windowMs` from `now`. */
  increment(key: string, windowMs: number, now: number): Promise<void>;
  clear(key: string): Promise<void>;
}

/**
 * Counts failed logins per username and per client address in fixed windows;
 * past a limit, every attempt for that key is refused (429) until the window
 * ends, right password or not, so guessing gains nothing. A success clears the
 * username's count.
 */
export class LoginThrottle {
  constructor(
    private readonly limits: LoginThrottleLimits,
    private readonly store: LoginFailureStore,
  ) {}

  /** Throws TooManyLoginAttemptsError when either key is over its limit. */
  async check(username: string, address: string, now = Date.now()): Promise<void> {
    const keys = this.keys(username, address);
    const windows = await Promise.all(keys.map(([key]) => this.store.get(key, now)));
    windows.forEach((window, i) => {
      if (window && window.resetAt > now && window.failures >= keys[i][1]) {
        throw new TooManyLoginAttemptsError(Math.ceil((window.resetAt - now) / 1000));
      }
    });
  }

  async recordFailure(username: string, address: string, now = Date.now()): Promise<void> {
    await Promise.all(
      this.keys(username, address).map(([key]) => this.store.increment(key, this.limits.windowMs, now)),
    );
  }

  recordSuccess(username: string): Promise<void> {
    return this.store.clear(userKey(username));
  }

  private keys(username: string, address: string): [string, number][] {
    return [
      [userKey(username), this.limits.perUsername],
      [`addr:${address}`, this.limits.perAddress],
    ];
  }
}

function userKey(username: string): string {
  return `user:${username.toLowerCase()}`;
}

/** One process's counts in memory: for unit tests and single-process tools. */
export class InMemoryLoginFailureStore implements LoginFailureStore {
  private readonly windows = new Map<string, FailureWindow>();

  async get(key: string, now: number): Promise<FailureWindow | null> {
    const window = this.windows.get(key);
    return window && window.resetAt > now ? { ...window } : null;
  }

  async increment(key: string, windowMs: number, now: number): Promise<void> {
    const window = this.windows.get(key);
    if (!window || window.resetAt <= now) this.windows.set(key, { failures: 1, resetAt: now + windowMs });
    else window.failures += 1;
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }
}
