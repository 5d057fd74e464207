import { Logger } from '@nestjs/common';
import { Retention, RetentionStore } from './retention';

class FakeStore implements RetentionStore {
  cutoffs: Date[] = [];
  constructor(
    private readonly ttl: boolean,
    private expired: number,
  ) {}
  async ensureRetentionIndex(): Promise<boolean> {
    return this.ttl;
  }
  async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    this.cutoffs.push(cutoff);
    const n = Math.min(batch, this.expired);
    this.expired -= n;
    return n;
  }
}

describe('Retention', () => {
  const logger = new Logger('test');

  it('relies on the TTL index where the database has one: no sweep', async () => {
    const store = new FakeStore(true, 10);
    const retention = new Retention('x', store, 30, logger);
    await retention.start();
    retention.stop();
    expect(store.cutoffs).toEqual([]);
  });

  it('without one, deletes everything older than the retention, batch after batch', async () => {
    const store = new FakeStore(false, 1200);
    const retention = new Retention('x', store, 30, logger);
    const before = Date.now();
    expect(await retention.sweep()).toBe(1200);
    retention.stop();
    expect(store.cutoffs).toHaveLength(3); // 500 + 500 + 200
    const cutoff = store.cutoffs[0].getTime();
    expect(cutoff).toBeLessThanOrEqual(before - 30 * 86_400_000 + 1000);
    expect(cutoff).toBeGreaterThan(before - 31 * 86_400_000);
  });
});
