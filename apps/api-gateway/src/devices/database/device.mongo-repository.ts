import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { DeviceRecord } from '../domain/device';
import { DeviceNameTakenError } from '../domain/device.errors';
import { CertificateUpdate, DeviceRepository, NewDevice } from './device.repository.port';
import { Device, DeviceName, deviceNameKey } from './device.schema';

/**
 * A name claimed by a registration whose device record is still missing after
 * this long was left by a registration that died half-way: it may be taken again.
 * Registrations take milliseconds (RSA keys: seconds).
 */
export const ORPHANED_NAME_GRACE_MS = 60_000;

function toRecord(doc: Device): DeviceRecord {
  return {
    deviceId: doc._id,
    ownerId: doc.ownerId,
    name: doc.name,
    keyOrigin: doc.keyOrigin,
    certificatePem: doc.certificatePem,
    certificateSerial: doc.certificateSerial,
    certificateFingerprint: doc.certificateFingerprint,
    certificateSerialInSubject: doc.certificateSerialInSubject ?? false,
    previousCertificate: doc.previousCertificate
      ? { ...doc.previousCertificate, validUntil: new Date(doc.previousCertificate.validUntil) }
      : null,
    brokerPasswordHash: doc.brokerPasswordHash,
    notBefore: doc.notBefore,
    notAfter: doc.notAfter,
    createdAt: doc.createdAt,
    revokedAt: doc.revokedAt ?? null,
  };
}

/**
 * The registry in two collections, both looked up by `_id` only (see device.schema.ts).
 * Writes go name first, then record; revocation goes record first, then name. So an
 * active device always has its name, and a crash half-way leaves at worst a name that
 * points at a revoked or missing record, which the next registration of it reclaims.
 */
@Injectable()
export class DeviceMongoRepository implements DeviceRepository {
  constructor(
    @InjectModel(Device.name) private readonly devices: Model<Device>,
    @InjectModel(DeviceName.name) private readonly names: Model<DeviceName>,
  ) {}

  async create(device: NewDevice): Promise<DeviceRecord> {
    const { deviceId, ...fields } = device;
    const key = deviceNameKey(device.ownerId, device.name);
    await this.claimName(key, deviceId, device.name);
    try {
      const doc = await this.devices.create({ _id: deviceId, ...fields, revokedAt: null });
      return toRecord(doc.toObject());
    } catch (error) {
      await this.names
        .deleteOne({ _id: key, deviceId })
        .exec()
        .catch(() => undefined);
      throw error;
    }
  }

  async findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null> {
    const slot = await this.names.findById(deviceNameKey(ownerId, name)).lean<DeviceName>().exec();
    if (!slot) return null;
    const device = await this.findActiveById(slot.deviceId);
    return device && device.ownerId === ownerId && device.name === name ? device : null;
  }

  async findActiveById(deviceId: string): Promise<DeviceRecord | null> {
    const doc = await this.devices.findById(deviceId).lean<Device>().exec();
    return doc && !doc.revokedAt ? toRecord(doc) : null;
  }

  async listActive(ownerId: string): Promise<DeviceRecord[]> {
    const docs = await this.devices.find({ ownerId, revokedAt: null }).sort({ name: 1 }).lean<Device[]>().exec();
    return docs.map(toRecord);
  }

  async replaceCertificate(deviceId: string, update: CertificateUpdate): Promise<DeviceRecord | null> {
    // By `_id` alone (indexed on FerretDB); a device revoked meanwhile keeps its revocation.
    const after = await this.devices
      .findOneAndUpdate({ _id: deviceId }, { $set: update }, { new: true })
      .lean<Device>()
      .exec();
    return after && !after.revokedAt ? toRecord(after) : null;
  }

  async revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null> {
    const active = await this.findActiveByName(ownerId, name);
    if (!active) return null;
    // By `_id` alone, the one filter FerretDB answers from an index. The previous state tells
    // whether this call revoked it. On MongoDB, of two concurrent unregisters one gets the record
    // and the other null; FerretDB's findAndModify is not atomic, so there both may get it (and
    // both sweep the broker), never neither.
    const before = await this.devices
      .findOneAndUpdate({ _id: active.deviceId }, { $set: { revokedAt: at } }, { new: false })
      .lean<Device>()
      .exec();
    if (!before || before.revokedAt) return null;
    // Only if the name still points at this device (a new registration may have reclaimed it).
    await this.names.deleteOne({ _id: deviceNameKey(ownerId, name), deviceId: active.deviceId }).exec();
    return toRecord({ ...before, revokedAt: at });
  }

  /** Takes the name for `deviceId`, or throws DeviceNameTakenError. */
  private async claimName(key: string, deviceId: string, name: string): Promise<void> {
    if (await this.tryClaim(key, deviceId)) return;
    const holder = await this.names.findById(key).lean<DeviceName>().exec();
    if (holder && (await this.isOrphaned(holder))) {
      await this.names.deleteOne({ _id: key, deviceId: holder.deviceId }).exec();
      if (await this.tryClaim(key, deviceId)) return;
    }
    throw new DeviceNameTakenError(name);
  }

  private async tryClaim(key: string, deviceId: string): Promise<boolean> {
    try {
      await this.names.create({ _id: key, deviceId, claimedAt: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** A name left behind: its device is revoked, or was never written and the claim is old. */
  private async isOrphaned(holder: DeviceName): Promise<boolean> {
    const device = await this.devices
      .findById(holder.deviceId, { revokedAt: 1 })
      .lean<Pick<Device, 'revokedAt'>>()
      .exec();
    if (device) return device.revokedAt !== null && device.revokedAt !== undefined;
    return Date.now() - new Date(holder.claimedAt).getTime() > ORPHANED_NAME_GRACE_MS;
  }
}
