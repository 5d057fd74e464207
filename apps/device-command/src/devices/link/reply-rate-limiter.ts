/**
 * Caps the replies one device may send per second. A device answers one request
 * at a time (a few ms each), so more than this is a flood: what is over the cap
 * is dropped unread, so one misbehaving device cannot take device-command's
 * event loop from the others. Every replica sees every device's replies.
 */
export const MAX_REPLIES_PER_DEVICE_PER_SECOND = 500;

interface Window {
  second: number;
  count: number;
}

export class ReplyRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit = MAX_REPLIES_PER_DEVICE_PER_SECOND,
    private readonly onThrottle: (deviceId: string, limit: number) => void = () => undefined,
    private readonly maxDevices = 100_000,
  ) {}

  /** False when `deviceId` is over its cap in the current second (reported once per second it is). */
  allow(deviceId: string, now = Date.now()): boolean {
    const second = Math.floor(now / 1000);
    let window = this.windows.get(deviceId);
    if (!window || window.second !== second) {
      if (!window && this.windows.size >= this.maxDevices) this.sweep(second);
      window = { second, count: 0 };
      this.windows.set(deviceId, window);
    }
    window.count += 1;
    if (window.count === this.limit + 1) this.onThrottle(deviceId, this.limit);
    return window.count <= this.limit;
  }

  private sweep(second: number): void {
    for (const [id, window] of this.windows) if (window.second !== second) this.windows.delete(id);
  }
}
