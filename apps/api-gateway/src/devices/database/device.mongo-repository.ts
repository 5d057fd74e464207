import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { DeviceRecord } from '../domain/device';
import { DeviceNameTakenError } from '../domain/device.errors';
import { DeviceRepository, NewDevice } from './device.repository.port';
import { Device } from './device.schema';

type DeviceLean = Device & { _id: unknown };

function toRecord(doc: DeviceLean): DeviceRecord {
  return {
    deviceId: doc.deviceId,
    ownerId: doc.ownerId,
    name: doc.name,
    keyOrigin: doc.keyOrigin,
    certificatePem: doc.certificatePem,
    certificateSerial: doc.certificateSerial,
    certificateFingerprint: doc.certificateFingerprint,
    brokerPasswordHash: doc.brokerPasswordHash,
    notBefore: doc.notBefore,
    notAfter: doc.notAfter,
    createdAt: doc.createdAt,
    revokedAt: doc.revokedAt ?? null,
  };
}

@Injectable()
export class DeviceMongoRepository implements DeviceRepository {
  constructor(@InjectModel(Device.name) private readonly devices: Model<Device>) {}

  async create(device: NewDevice): Promise<DeviceRecord> {
    try {
      const doc = await this.devices.create({ ...device, nameSlot: device.name, revokedAt: null });
      return toRecord(doc.toObject());
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new DeviceNameTakenError(device.name);
      throw error;
    }
  }

  async findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null> {
    const doc = await this.devices.findOne({ ownerId, nameSlot: name, revokedAt: null }).lean<DeviceLean>().exec();
    return doc ? toRecord(doc) : null;
  }

  async findActiveById(deviceId: string): Promise<DeviceRecord | null> {
    const doc = await this.devices.findOne({ deviceId, revokedAt: null }).lean<DeviceLean>().exec();
    return doc ? toRecord(doc) : null;
  }

  async listActive(ownerId: string): Promise<DeviceRecord[]> {
    const docs = await this.devices.find({ ownerId, revokedAt: null }).sort({ name: 1 }).lean<DeviceLean[]>().exec();
    return docs.map(toRecord);
  }

  async revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null> {
    const active = await this.findActiveByName(ownerId, name);
    if (!active) return null;
    // Conditional on still being active, so two concurrent unregisters revoke once.
    const doc = await this.devices
      .findOneAndUpdate(
        { deviceId: active.deviceId, revokedAt: null },
        { $set: { revokedAt: at, nameSlot: active.deviceId } },
        { new: true },
      )
      .lean<DeviceLean>()
      .exec();
    return doc ? toRecord(doc) : null;
  }
}
