import { CommandHistoryFilter, CommandRecord } from '../domain/command-record';

export const COMMAND_HISTORY_REPOSITORY = Symbol('COMMAND_HISTORY_REPOSITORY');

export interface CommandHistoryRepository {
  insertMany(records: CommandRecord[]): Promise<void>;
  /** A device's commands, newest first. */
  list(deviceId: string, filter: CommandHistoryFilter): Promise<CommandRecord[]>;
  find(deviceId: string, commandId: string): Promise<CommandRecord | null>;
  /** Deletes records requested before `cutoff`, at most `batch` of them; returns how many. */
  deleteOlderThan(cutoff: Date, batch: number): Promise<number>;
  /** Creates the retention TTL index; false when the database cannot (FerretDB 1.x). */
  ensureRetentionIndex(days: number): Promise<boolean>;
}
