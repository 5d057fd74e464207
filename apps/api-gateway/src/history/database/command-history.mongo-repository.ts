import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Collection, Connection, mongo } from 'mongoose';
import { deleteExpired, ensureTtlIndex } from '../../infrastructure/retention';
import { CommandHistoryFilter, CommandRecord } from '../domain/command-record';
import { CommandHistoryRepository } from './command-history.repository.port';
import { MapsDatabaseErrors } from '../../infrastructure/mongo-errors';

export const COMMAND_HISTORY_COLLECTION = 'command_history';

type CommandDocument = Omit<CommandRecord, 'deviceId' | 'commandId'> & { _id: string };

/** `<deviceId>/<commandId>`: command ids are time-ordered, so a device's history is one `_id` range. */
export function commandKey(deviceId: string, commandId: string): string {
  return `${deviceId}/${commandId}`;
}

function toRecord({ _id, ...fields }: CommandDocument): CommandRecord {
  const slash = _id.indexOf('/');
  return { deviceId: _id.slice(0, slash), commandId: _id.slice(slash + 1), ...fields };
}

/**
 * Keyed by `_id` only, with no secondary index on the device: every insert then
 * updates one index (two with the TTL index), and listing is an `_id` range.
 */
@Injectable()
@MapsDatabaseErrors()
export class CommandHistoryMongoRepository implements CommandHistoryRepository {
  private readonly collection: Collection<CommandDocument>;

  constructor(@InjectConnection() connection: Connection) {
    this.collection = connection.collection<CommandDocument>(COMMAND_HISTORY_COLLECTION);
  }

  async insertMany(records: CommandRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.collection.insertMany(
      records.map(({ deviceId, commandId, ...fields }) => ({ _id: commandKey(deviceId, commandId), ...fields })),
      { ordered: false },
    );
  }

  async list(deviceId: string, filter: CommandHistoryFilter): Promise<CommandRecord[]> {
    const query: Record<string, unknown> = {
      _id: { $gt: `${deviceId}/`, $lt: filter.before ? commandKey(deviceId, filter.before) : `${deviceId}0` },
    };
    if (filter.api) query.api = filter.api;
    if (filter.outcome) query.outcome = filter.outcome;
    const docs = await this.collection.find(query).sort({ _id: -1 }).limit(filter.limit).toArray();
    return docs.map(toRecord);
  }

  async find(deviceId: string, commandId: string): Promise<CommandRecord | null> {
    const doc = await this.collection.findOne({ _id: commandKey(deviceId, commandId) });
    return doc ? toRecord(doc) : null;
  }

  deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    return deleteExpired(this.collection as unknown as mongo.Collection<mongo.Document>, 'requestedAt', cutoff, batch);
  }

  ensureRetentionIndex(days: number): Promise<boolean> {
    return ensureTtlIndex(this.collection as unknown as mongo.Collection<mongo.Document>, 'requestedAt', days);
  }
}
