import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';

type AnyCollection = mongo.Collection<mongo.Document>;

const RETENTION_INDEX = 'retention';
/** MongoDB's NotImplemented: FerretDB 1.x has no TTL indexes. */
const NOT_IMPLEMENTED = 238;
const SWEEP_EVERY_MS = 60 * 60_000;
const SWEEP_BATCH = 500;

/** A TTL index on `field` keeping `days`; false when the database cannot (FerretDB 1.x). */
export async function ensureTtlIndex(collection: AnyCollection, field: string, days: number): Promise<boolean> {
  const expireAfterSeconds = days * 86_400;
  try {
    const existing = (await collection.indexes().catch(() => [])).find((i) => i.name === RETENTION_INDEX);
    if (existing && existing.expireAfterSeconds !== expireAfterSeconds) await collection.dropIndex(RETENTION_INDEX);
    await collection.createIndex({ [field]: 1 }, { name: RETENTION_INDEX, expireAfterSeconds });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === NOT_IMPLEMENTED) return false;
    throw error;
  }
}

/** Deletes up to `batch` documents whose `field` is before `cutoff`, one at a time; returns how many. */
export async function deleteExpired(
  collection: AnyCollection,
  field: string,
  cutoff: Date,
  batch: number,
): Promise<number> {
  const expired = await collection
    .find({ [field]: { $lt: cutoff } }, { projection: { _id: 1 } })
    .limit(batch)
    .toArray();
  // One at a time: FerretDB can stall on multi-document writes.
  for (const { _id } of expired) await collection.deleteOne({ _id });
  return expired.length;
}

export interface RetentionStore {
  ensureRetentionIndex(days: number): Promise<boolean>;
  deleteOlderThan(cutoff: Date, batch: number): Promise<number>;
}

/**
 * Keeps `days` of a collection: by its TTL index where the database has them
 * (MongoDB), else by deleting expired documents every hour (FerretDB 1.x).
 */
export class Retention {
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly what: string,
    private readonly store: RetentionStore,
    private readonly days: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const ttl = await this.store.ensureRetentionIndex(this.days).catch((error: unknown) => {
      this.logger.warn(`${this.what}: could not create the retention index: ${String(error)}`);
      return false;
    });
    if (ttl) return;
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
    void this.sweep();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.days * 86_400_000);
    let deleted = 0;
    try {
      for (let n = SWEEP_BATCH; n === SWEEP_BATCH; deleted += n)
        n = await this.store.deleteOlderThan(cutoff, SWEEP_BATCH);
      if (deleted > 0) this.logger.log(`${this.what}: deleted ${deleted} record(s) older than ${cutoff.toISOString()}`);
    } catch (error) {
      this.logger.warn(`${this.what}: retention sweep failed: ${String(error)}`);
    }
    return deleted;
  }
}
