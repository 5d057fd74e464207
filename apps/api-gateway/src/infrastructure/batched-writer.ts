import { Logger } from '@nestjs/common';

export interface BatchSettings {
  /** Largest write; a full batch is written at once. */
  batchSize: number;
  /** Records waiting beyond this are not kept (counted as unrecorded). */
  maxPending: number;
}

/**
 * Collects records in memory and writes them in batches, one write at a time,
 * off the caller's path. A failed write loses its batch: counted and logged,
 * never retried into an unbounded backlog (the callers' work has happened anyway).
 */
export class BatchedWriter<T> {
  private pending: T[] = [];
  private writing: Promise<void> | null = null;
  private unrecordedCount = 0;
  private recordedCount = 0;

  constructor(
    private readonly what: string,
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly settings: BatchSettings,
    private readonly logger: Logger,
  ) {}

  /** Records that could not be written (database down, or too far behind). */
  get unrecorded(): number {
    return this.unrecordedCount;
  }

  get recorded(): number {
    return this.recordedCount;
  }

  add(record: T): void {
    if (this.pending.length >= this.settings.maxPending) {
      this.gap(1, 'too many records waiting for the database');
      return;
    }
    this.pending.push(record);
    if (this.pending.length >= this.settings.batchSize) void this.flush();
  }

  /** Writes what waits, one batch at a time; resolves when nothing is in flight. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.settings.batchSize);
    this.writing = this.write(batch)
      .then(
        () => {
          this.recordedCount += batch.length;
        },
        (error: unknown) => this.gap(batch.length, String(error)),
      )
      .finally(() => {
        this.writing = null;
      });
    await this.writing;
    if (this.pending.length >= this.settings.batchSize) await this.flush();
  }

  private gap(count: number, why: string): void {
    const before = this.unrecordedCount;
    this.unrecordedCount += count;
    // The first loss at once, then a line per 1,000.
    if (before === 0 || Math.floor(before / 1000) !== Math.floor(this.unrecordedCount / 1000)) {
      this.logger.warn(
        `${this.what}: ${count} record(s) not written (${why}); ${this.unrecordedCount} unrecorded since start`,
      );
    }
  }
}
