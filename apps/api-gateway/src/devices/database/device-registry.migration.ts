import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { DEVICE_NAMES_COLLECTION, DEVICE_RECORDS_COLLECTION } from './device.collections';
import { deviceNameKey } from './device.schema';

/** The registry's first layout: one `devices` collection, `_id` an ObjectId, names unique by an (ownerId, nameSlot) index. */
export const LEGACY_DEVICES_COLLECTION = 'devices';

interface LegacyDevice {
  _id: unknown;
  deviceId: string;
  ownerId: string;
  name: string;
  nameSlot?: string;
  revokedAt?: Date | null;
  __v?: number;
  [field: string]: unknown;
}

/**
 * Moves devices of the first registry layout into the current one (records keyed
 * by deviceId, names in their own collection), then drops the old collection.
 * Idempotent and safe to run from several replicas at once: every write is an
 * insert-if-absent, and a record is removed from the old collection only after
 * it is in the new one.
 */
@Injectable()
export class DeviceRegistryMigration implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeviceRegistryMigration.name);

  constructor(@InjectConnection() private readonly connection: Connection) {}

  async onApplicationBootstrap(): Promise<void> {
    const moved = await this.migrate();
    if (moved > 0) this.logger.log(`moved ${moved} device record(s) to the current registry layout`);
  }

  /** Returns how many records it moved. */
  async migrate(): Promise<number> {
    const db = this.connection.db;
    if (!db) throw new Error('the database connection is not open');
    const exists = await db.listCollections({ name: LEGACY_DEVICES_COLLECTION }, { nameOnly: true }).hasNext();
    if (!exists) return 0;
    const legacy = db.collection<LegacyDevice>(LEGACY_DEVICES_COLLECTION);
    const records = db.collection<{ _id: string }>(DEVICE_RECORDS_COLLECTION);
    const names = db.collection<{ _id: string }>(DEVICE_NAMES_COLLECTION);
    let moved = 0;
    for await (const doc of legacy.find({})) {
      const { _id, deviceId, ...fields } = doc;
      if (typeof deviceId !== 'string') continue; // not a device record: leave it where it is
      delete fields.nameSlot; // the first layout's uniqueness trick, and mongoose's version key
      delete fields.__v;
      const revokedAt = fields.revokedAt ?? null;
      await records.updateOne({ _id: deviceId }, { $setOnInsert: { ...fields, revokedAt } }, { upsert: true });
      if (!revokedAt) {
        const claimedAt = fields.createdAt instanceof Date ? fields.createdAt : new Date();
        await names.updateOne(
          { _id: deviceNameKey(doc.ownerId, doc.name) },
          { $setOnInsert: { deviceId, claimedAt } },
          { upsert: true },
        );
      }
      await legacy.deleteOne({ _id });
      moved += 1;
    }
    if ((await legacy.countDocuments({})) === 0) {
      await legacy.drop().catch(() => undefined); // another replica may have dropped it first
    }
    return moved;
  }
}
