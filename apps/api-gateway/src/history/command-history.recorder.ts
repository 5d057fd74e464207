import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from './database/command-history.repository.port';
import { CommandRecord } from './domain/command-record';

export interface HistorySettings {
  enabled: boolean;
  retentionDays: number;
  /** Largest insert; a full batch is written at once. */
  batchSize: number;
  flushIntervalMs: number;
  /** Records waiting beyond this are not kept (counted as unrecorded). */
  maxPending: number;
}

export const HISTORY_SETTINGS = Symbol('HISTORY_SETTINGS');

const SWEEP_EVERY_MS = 60 * 60_000;
const SWEEP_BATCH = 500;

/**
 * Writes the command history off the request path: records wait in memory and
 * go to the database in batches (every `flushIntervalMs`, or at once when a batch
 * is full), one write at a time. When the database fails, the commands have run
 * anyway: the lost records are counted (`unrecorded`) and logged, never retried
 * into an unbounded backlog.
 */
@Injectable()
export class CommandHistoryRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandHistoryRecorder.name);
  private pending: CommandRecord[] = [];
  private writing: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  private unrecordedCount = 0;
  private recordedCount = 0;

  constructor(
    @Inject(COMMAND_HISTORY_REPOSITORY) private readonly history: CommandHistoryRepository,
    @Inject(HISTORY_SETTINGS) private readonly settings: HistorySettings,
  ) {}

  /** Commands that ran but are missing from the history (database down, or too far behind). */
  get unrecorded(): number {
    return this.unrecordedCount;
  }

  get recorded(): number {
    return this.recordedCount;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.enabled) return;
    this.timer = setInterval(() => void this.flush(), this.settings.flushIntervalMs);
    this.timer.unref();
    const ttl = await this.history.ensureRetentionIndex(this.settings.retentionDays).catch((error: unknown) => {
      this.logger.warn(`could not create the history retention index: ${String(error)}`);
      return false;
    });
    if (!ttl) {
      // No TTL index (FerretDB 1.x): the gateway deletes expired records itself.
      this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
      this.sweeper.unref();
      void this.sweep();
    }
  }

  record(record: CommandRecord): void {
    if (!this.settings.enabled) return;
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
    this.writing = this.history
      .insertMany(batch)
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
    // A line per 1,000 lost records at most, and the first one at once.
    if (before === 0 || Math.floor(before / 1000) !== Math.floor(this.unrecordedCount / 1000)) {
      this.logger.warn(
        `command history: ${count} command(s) not recorded (${why}); ${this.unrecordedCount} unrecorded since start`,
      );
    }
  }

  private async sweep(): Promise<void> {
    const cutoff = new Date(Date.now() - this.settings.retentionDays * 86_400_000);
    try {
      let deleted = 0;
      for (let n = SWEEP_BATCH; n === SWEEP_BATCH; deleted += n) {
        n = await this.history.deleteOlderThan(cutoff, SWEEP_BATCH);
      }
      if (deleted > 0)
        this.logger.log(`command history: deleted ${deleted} record(s) older than ${cutoff.toISOString()}`);
    } catch (error) {
      this.logger.warn(`command history retention sweep failed: ${String(error)}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweeper);
    await this.flush();
  }
}
