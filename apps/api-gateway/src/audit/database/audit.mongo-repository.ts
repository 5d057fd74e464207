import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Collection, Connection, mongo } from 'mongoose';
import { deleteExpired, ensureTtlIndex } from '../../infrastructure/retention';
import { AuditEntry } from '../domain/audit-entry';
import { AuditRepository } from './audit.repository.port';
import { MapsDatabaseErrors } from '../../infrastructure/mongo-errors';

export const AUDIT_COLLECTION = 'audit_log';

type AuditDocument = Omit<AuditEntry, 'id' | 'userId'> & { _id: string };

/** `<userId>/<time-ordered id>`: a user's trail is one `_id` range, no secondary index. */
@Injectable()
@MapsDatabaseErrors()
export class AuditMongoRepository implements AuditRepository {
  private readonly collection: Collection<AuditDocument>;

  constructor(@InjectConnection() connection: Connection) {
    this.collection = connection.collection<AuditDocument>(AUDIT_COLLECTION);
  }

  async insertMany(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.collection.insertMany(
      entries.map(({ id, userId, ...fields }) => ({ _id: `${userId}/${id}`, ...fields })),
      { ordered: false },
    );
  }

  async list(userId: string, limit: number, before?: string): Promise<AuditEntry[]> {
    const docs = await this.collection
      .find({ _id: { $gt: `${userId}/`, $lt: before ? `${userId}/${before}` : `${userId}0` } })
      .sort({ _id: -1 })
      .limit(limit)
      .toArray();
    return docs.map(({ _id, ...fields }) => {
      const slash = _id.lastIndexOf('/');
      return { userId: _id.slice(0, slash), id: _id.slice(slash + 1), ...fields };
    });
  }

  deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    return deleteExpired(this.collection as unknown as mongo.Collection<mongo.Document>, 'at', cutoff, batch);
  }

  ensureRetentionIndex(days: number): Promise<boolean> {
    return ensureTtlIndex(this.collection as unknown as mongo.Collection<mongo.Document>, 'at', days);
  }
}
