import { RetentionStore } from '../../infrastructure/retention';
import { CommandHistoryFilter, CommandRecord } from '../domain/command-record';

export const COMMAND_HISTORY_REPOSITORY = Symbol('COMMAND_HISTORY_REPOSITORY');

export interface CommandHistoryRepository extends RetentionStore {
  insertMany(records: CommandRecord[]): Promise<void>;
  /** A device's commands, newest first. */
  list(deviceId: string, filter: CommandHistoryFilter): Promise<CommandRecord[]>;
  find(deviceId: string, commandId: string): Promise<CommandRecord | null>;
}
