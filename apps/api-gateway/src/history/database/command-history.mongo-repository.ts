import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Collection, Connection } from 'mongoose';
import { CommandHistoryFilter, CommandRecord } from '../domain/command-record';
import { CommandHistoryRepository } from './command-history.repository.port';

export const COMMAND_HISTORY_COLLECTION = 'command_history';
const RETENTION_INDEX = 'retention';
/** MongoDB's NotImplemented: FerretDB 1.x has no TTL indexes. */
const NOT_IMPLEMENTED = 238;

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

  async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    const expired = await this.collection
      .find({ requestedAt: { $lt: cutoff } }, { projection: { _id: 1 } })
      .limit(batch)
      .toArray();
    // One at a time: FerretDB can stall on multi-document writes (docs/performance.md).
    for (const { _id } of expired) await this.collection.deleteOne({ _id });
    return expired.length;
  }

  async ensureRetentionIndex(days: number): Promise<boolean> {
    const expireAfterSeconds = days * 86_400;
    try {
      const existing = (await this.collection.indexes().catch(() => [])).find((i) => i.name === RETENTION_INDEX);
      if (existing && existing.expireAfterSeconds !== expireAfterSeconds) {
        await this.collection.dropIndex(RETENTION_INDEX);
      }
      await this.collection.createIndex({ requestedAt: 1 }, { name: RETENTION_INDEX, expireAfterSeconds });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === NOT_IMPLEMENTED) return false;
      throw error;
    }
  }
}
