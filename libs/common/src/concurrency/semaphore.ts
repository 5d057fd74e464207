/**
 * At most `permits` tasks run at once; the others wait in FIFO order. Used to
 * keep CPU-heavy work (RSA key generation on libuv's thread pool) from taking
 * every core away from the event loop.
 */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError('permits must be an integer >= 1');
    this.available = permits;
  }

  /** Tasks waiting for a permit. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the permit passes straight to the next task
    else this.available += 1;
  }
}
