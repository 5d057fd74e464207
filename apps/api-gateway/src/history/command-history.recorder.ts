import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchSettings, BatchedWriter } from '../infrastructure/batched-writer';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from './database/command-history.repository.port';
import { CommandRecord } from './domain/command-record';

export interface HistorySettings extends BatchSettings {
  enabled: boolean;
  retentionDays: number;
  flushIntervalMs: number;
}

export const HISTORY_SETTINGS = Symbol('HISTORY_SETTINGS');

const SWEEP_EVERY_MS = 60 * 60_000;
const SWEEP_BATCH = 500;

/**
 * Writes the command history off the request path, in batches (every
 * `flushIntervalMs`, or at once when a batch is full). When the database fails,
 * the commands have run anyway: the lost records are counted (`unrecorded`, also
 * in `GET /health`) and logged.
 */
@Injectable()
export class CommandHistoryRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CommandHistoryRecorder.name);
  private readonly writer: BatchedWriter<CommandRecord>;
  private timer?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(COMMAND_HISTORY_REPOSITORY) private readonly history: CommandHistoryRepository,
    @Inject(HISTORY_SETTINGS) private readonly settings: HistorySettings,
  ) {
    this.writer = new BatchedWriter('command history', (batch) => history.insertMany(batch), settings, this.logger);
  }

  /** Commands that ran but are missing from the history (database down, or too far behind). */
  get unrecorded(): number {
    return this.writer.unrecorded;
  }

  get recorded(): number {
    return this.writer.recorded;
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
    if (this.settings.enabled) this.writer.add(record);
  }

  flush(): Promise<void> {
    return this.writer.flush();
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
