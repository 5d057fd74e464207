import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { MapsDatabaseErrors, isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { FailureWindow, LoginFailureStore } from '../domain/login-throttle';

export const LOGIN_FAILURES_COLLECTION = 'login_failures';
/** Ended windows are deleted this often (FerretDB has no TTL indexes). */
const SWEEP_INTERVAL_MS = 60_000;

interface FailureDoc {
  _id: string;
  failures: number;
  resetAt: Date;
}

/**
 * Failed-login counts in the shared database, one document per key, found by
 * `_id` (the one index FerretDB's SQLite backend uses). Each step is a single
 * atomic update, so replicas counting the same key at once lose no failure.
 */
@Injectable()
@MapsDatabaseErrors()
export class LoginFailureMongoStore implements LoginFailureStore, OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  private get windows() {
    return this.connection.collection<FailureDoc>(LOGIN_FAILURES_COLLECTION);
  }

  async get(key: string, now: number): Promise<FailureWindow | null> {
    const doc = await this.windows.findOne({ _id: key });
    if (!doc || doc.resetAt.getTime() <= now) return null;
    return { failures: doc.failures, resetAt: doc.resetAt.getTime() };
  }

  async increment(key: string, windowMs: number, now: number): Promise<void> {
    const inWindow = await this.windows.updateOne(
      { _id: key, resetAt: { $gt: new Date(now) } },
      { $inc: { failures: 1 } },
    );
    if (inWindow.matchedCount > 0) return;
    try {
      // No live window: start one, replacing an ended one.
      await this.windows.updateOne(
        { _id: key, resetAt: { $lte: new Date(now) } },
        { $set: { failures: 1, resetAt: new Date(now + windowMs) } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another replica started the window meanwhile: count in it.
      await this.windows.updateOne({ _id: key }, { $inc: { failures: 1 } });
    }
  }

  async clear(key: string): Promise<void> {
    await this.windows.deleteOne({ _id: key });
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async sweep(now = Date.now()): Promise<void> {
    await this.windows.deleteMany({ resetAt: { $lte: new Date(now) } });
  }
}
