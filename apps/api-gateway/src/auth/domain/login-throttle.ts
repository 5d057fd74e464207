import { Injectable } from '@nestjs/common';
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

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Counts failed logins per username and per client address in fixed windows;
 * past a limit, every attempt for that key is refused (429) until the window
 * ends, right password or not, so guessing gains nothing. A success clears the
 * username's count. In memory: each gateway replica counts on its own.
 */
@Injectable()
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys = 100_000;

  constructor(private readonly limits: LoginThrottleLimits) {}

  /** Throws TooManyLoginAttemptsError when either key is over its limit. */
  check(username: string, address: string, now = Date.now()): void {
    for (const [key, limit] of this.keys(username, address)) {
      const window = this.windows.get(key);
      if (window && window.resetAt > now && window.failures >= limit) {
        throw new TooManyLoginAttemptsError(Math.ceil((window.resetAt - now) / 1000));
      }
    }
  }

  recordFailure(username: string, address: string, now = Date.now()): void {
    if (this.windows.size >= this.maxKeys) this.sweep(now);
    for (const [key] of this.keys(username, address)) {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) this.windows.set(key, { failures: 1, resetAt: now + this.limits.windowMs });
      else window.failures += 1;
    }
  }

  recordSuccess(username: string): void {
    this.windows.delete(`user:${username.toLowerCase()}`);
  }

  private keys(username: string, address: string): [string, number][] {
    return [
      [`user:${username.toLowerCase()}`, this.limits.perUsername],
      [`addr:${address}`, this.limits.perAddress],
    ];
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
