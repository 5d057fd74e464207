import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Collection, Connection } from 'mongoose';
import { DevicePresence } from '../domain/device-presence';
import { PresenceRepository } from './presence.repository.port';

export const DEVICE_PRESENCE_COLLECTION = 'device_presence';

type PresenceDocument = Omit<DevicePresence, 'deviceId'> & { _id: string };

function toPresence({ _id, ...fields }: PresenceDocument): DevicePresence {
  return { deviceId: _id, ...fields };
}

/**
 * One document per device, `_id` = device id, so every write is by `_id` (the only
 * index FerretDB uses well) and each presence change is a single-document write.
 */
@Injectable()
export class PresenceMongoRepository implements PresenceRepository {
  private readonly collection: Collection<PresenceDocument>;

  constructor(@InjectConnection() connection: Connection) {
    this.collection = connection.collection<PresenceDocument>(DEVICE_PRESENCE_COLLECTION);
  }

  async findMany(deviceIds: string[]): Promise<Map<string, DevicePresence>> {
    if (deviceIds.length === 0) return new Map();
    const docs =
      deviceIds.length === 1
        ? await this.collection.find({ _id: deviceIds[0] }).toArray()
        : await this.collection.find({ _id: { $in: deviceIds } }).toArray();
    return new Map(docs.map((doc) => [doc._id, toPresence(doc)]));
  }

  async find(deviceId: string): Promise<DevicePresence | null> {
    const doc = await this.collection.findOne({ _id: deviceId });
    return doc ? toPresence(doc) : null;
  }

  async save({ deviceId, ...fields }: DevicePresence): Promise<void> {
    await this.collection.replaceOne({ _id: deviceId }, fields, { upsert: true });
  }

  async listOnline(): Promise<DevicePresence[]> {
    return (await this.collection.find({ online: true }).toArray()).map(toPresence);
  }

  async findOnlineByConnection(connectionName: string): Promise<DevicePresence | null> {
    const doc = await this.collection.findOne({ online: true, connectionName });
    return doc ? toPresence(doc) : null;
  }

  async touch(deviceId: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: deviceId, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
  }
}
