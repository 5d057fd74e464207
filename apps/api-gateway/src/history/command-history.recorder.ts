import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BatchSettings, BatchedWriter } from '../infrastructure/batched-writer';
import { Retention } from '../infrastructure/retention';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from './database/command-history.repository.port';
import { CommandRecord } from './domain/command-record';

export interface HistorySettings extends BatchSettings {
  enabled: boolean;
  retentionDays: number;
  flushIntervalMs: number;
}

export const HISTORY_SETTINGS = Symbol('HISTORY_SETTINGS');

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
  private readonly retention: Retention;

  constructor(
    @Inject(COMMAND_HISTORY_REPOSITORY) private readonly history: CommandHistoryRepository,
    @Inject(HISTORY_SETTINGS) private readonly settings: HistorySettings,
  ) {
    this.writer = new BatchedWriter('command history', (batch) => history.insertMany(batch), settings, this.logger);
    this.retention = new Retention('command history', history, settings.retentionDays, this.logger);
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
    await this.retention.start();
  }

  record(record: CommandRecord): void {
    if (this.settings.enabled) this.writer.add(record);
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.retention.stop();
    await this.flush();
  }
}
