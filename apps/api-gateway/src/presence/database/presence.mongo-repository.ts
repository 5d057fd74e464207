import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Collection, Connection } from 'mongoose';
import { MapsDatabaseErrors, isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { DevicePresence, PresenceConnect, PresenceDisconnect } from '../domain/device-presence';
import { PresenceRepository } from './presence.repository.port';

export const DEVICE_PRESENCE_COLLECTION = 'device_presence';

type PresenceDocument = Omit<DevicePresence, 'deviceId'> & { _id: string };

/** A record first written by a connect has no disconnect yet (the connect's upsert does not write those fields). */
function toPresence({ _id, ...fields }: PresenceDocument): DevicePresence {
  return {
    deviceId: _id,
    ...fields,
    disconnectedAt: fields.disconnectedAt ?? null,
    disconnectReason: fields.disconnectReason ?? null,
  };
}

function offline({ at, reason }: PresenceDisconnect) {
  return { online: false, connectionName: null, disconnectedAt: at, disconnectReason: reason, lastSeenAt: at };
}

/**
 * One document per device, `_id` = device id, so every write is by `_id` (the only
 * index FerretDB uses well) and each presence change is one conditional write of one
 * document, whose filter names the connection it applies to (no read first).
 * A database outage surfaces as DATABASE_UNAVAILABLE (GET /devices reads presence).
 */
@Injectable()
@MapsDatabaseErrors()
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

  async connect({ deviceId, connectionName, at, ...device }: PresenceConnect): Promise<boolean> {
    const filter = { _id: deviceId, connectionName: { $ne: connectionName } };
    const update = {
      $set: { ...device, online: true, connectionName, connectedAt: at, lastSeenAt: at },
    };
    try {
      await this.collection.updateOne(filter, update, { upsert: true });
      return true;
    } catch (error) {
      // The upsert found the record naming this connection already (so it tried to insert a
      // second one), or lost a race with another writer's insert: only the latter still applies.
      if (!isDuplicateKeyError(error)) throw error;
      return (await this.collection.updateOne(filter, update)).matchedCount > 0;
    }
  }

  async completeTransport({ deviceId, connectionName, transport, protocolLevel }: PresenceConnect): Promise<void> {
    await this.collection.updateOne(
      { _id: deviceId, online: true, connectionName, protocolLevel: null },
      { $set: { transport, protocolLevel } },
    );
  }

  async disconnect(deviceId: string, change: PresenceDisconnect): Promise<boolean> {
    const filter = { _id: deviceId, online: true, connectionName: change.connectionName };
    return (await this.collection.updateOne(filter, { $set: offline(change) })).matchedCount > 0;
  }

  async disconnectByConnection(change: PresenceDisconnect): Promise<DevicePresence | null> {
    const before = await this.collection.findOneAndUpdate(
      { online: true, connectionName: change.connectionName },
      { $set: offline(change) },
      { returnDocument: 'before' },
    );
    return before ? toPresence(before) : null;
  }

  async listOnline(): Promise<DevicePresence[]> {
    return (await this.collection.find({ online: true }).toArray()).map(toPresence);
  }

  async touch(deviceId: string, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: deviceId, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
  }
}
