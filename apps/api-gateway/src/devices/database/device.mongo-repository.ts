import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { MapsDatabaseErrors, isDuplicateKeyError } from '../../infrastructure/mongo-errors';
import { DeviceListFilter, DeviceRecord } from '../domain/device';
import { DeviceTags, hasTags } from '../domain/device-tags';
import { DeviceNameTakenError } from '../domain/device.errors';
import { CertificateUpdate, DeviceRepository, NewDevice } from './device.repository.port';
import { AFTER_ALL_NAMES, Device, DeviceName, DeviceTag, deviceNameKey, deviceTagKey } from './device.schema';

/**
 * A name claimed by a registration whose device record is still missing after
 * this long was left by a registration that died half-way: it may be taken again.
 * Registrations take milliseconds (RSA keys: seconds).
 */
export const ORPHANED_NAME_GRACE_MS = 60_000;

/** Index entries read per round when listing. */
const LIST_BATCH = 500;

function toRecord(doc: Device): DeviceRecord {
  return {
    deviceId: doc._id,
    ownerId: doc.ownerId,
    name: doc.name,
    tags: doc.tags ?? {},
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
@MapsDatabaseErrors()
export class DeviceMongoRepository implements DeviceRepository {
  constructor(
    @InjectModel(Device.name) private readonly devices: Model<Device>,
    @InjectModel(DeviceName.name) private readonly names: Model<DeviceName>,
    @InjectModel(DeviceTag.name) private readonly tagIndex: Model<DeviceTag>,
  ) {}

  async create(device: NewDevice): Promise<DeviceRecord> {
    const { deviceId, ...fields } = device;
    const key = deviceNameKey(device.ownerId, device.name);
    await this.claimName(key, deviceId, device.name);
    try {
      // Index first: a hit whose record is missing is skipped by the listing, a missing hit would hide the device.
      await this.indexTags(device.ownerId, device.name, deviceId, device.tags);
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

  /**
   * Walks a range of `_id`s in order, the owner's names (`<ownerId>/<name>`) or, with a tag filter,
   * the first tag's index entries (`<ownerId>/<key>=<value>/<name>`), from the prefix or `after`,
   * `limit` at a time; then reads each hit's record by `_id` and keeps the active ones that match.
   * So a page costs about the same wherever it starts, and nothing scans the registry.
   */
  async listActive(ownerId: string, filter: DeviceListFilter = {}): Promise<DeviceRecord[]> {
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    const prefix = filter.namePrefix ?? '';
    const wanted = filter.tags ?? [];
    const first = wanted[0];
    const base = first ? deviceTagKey(ownerId, first[0], first[1], '') : deviceNameKey(ownerId, '');
    // Both are `{ _id, deviceId }` documents keyed so that one user's entries form a range.
    const index = (first ? this.tagIndex : this.names) as unknown as Model<DeviceTag>;
    const startAfter = filter.after !== undefined && filter.after >= prefix;
    let bound: Record<string, string> = startAfter ? { $gt: base + filter.after } : { $gte: base + prefix };
    const upper = base + prefix + AFTER_ALL_NAMES;
    const page: DeviceRecord[] = [];
    while (page.length < limit) {
      const want = Math.min(LIST_BATCH, limit - page.length);
      const hits = await index
        .find({ _id: { ...bound, $lt: upper } })
        .sort({ _id: 1 })
        .limit(want)
        .lean<DeviceTag[]>()
        .exec();
      const records = await Promise.all(hits.map((hit) => this.findActiveById(hit.deviceId)));
      records.forEach((record, i) => {
        const name = hits[i]._id.slice(base.length);
        if (record && record.ownerId === ownerId && record.name === name && hasTags(record, wanted)) {
          page.push(record);
        }
      });
      if (hits.length < want) break;
      bound = { $gt: hits[hits.length - 1]._id };
    }
    return page;
  }

  async setTags(ownerId: string, name: string, tags: DeviceTags): Promise<DeviceRecord | null> {
    const active = await this.findActiveByName(ownerId, name);
    if (!active) return null;
    await this.indexTags(ownerId, name, active.deviceId, tags);
    const after = await this.devices
      .findOneAndUpdate({ _id: active.deviceId }, { $set: { tags } }, { new: true })
      .lean<Device>()
      .exec();
    const removed = Object.fromEntries(Object.entries(active.tags).filter(([key, value]) => tags[key] !== value));
    await this.unindexTags(ownerId, name, active.deviceId, removed);
    return after && !after.revokedAt ? toRecord(after) : null;
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
    await this.unindexTags(ownerId, name, active.deviceId, before.tags ?? {});
    return toRecord({ ...before, revokedAt: at });
  }

  private async indexTags(ownerId: string, name: string, deviceId: string, tags: DeviceTags): Promise<void> {
    await Promise.all(
      Object.entries(tags).map(([key, value]) =>
        this.tagIndex
          .updateOne({ _id: deviceTagKey(ownerId, key, value, name) }, { $set: { deviceId } }, { upsert: true })
          .exec(),
      ),
    );
  }

  /** Drops index entries of `tags` that still point at this device (by `_id`: read, then delete). */
  private async unindexTags(ownerId: string, name: string, deviceId: string, tags: DeviceTags): Promise<void> {
    await Promise.all(
      Object.entries(tags).map(async ([key, value]) => {
        const id = deviceTagKey(ownerId, key, value, name);
        const entry = await this.tagIndex.findById(id).lean<DeviceTag>().exec();
        if (entry?.deviceId === deviceId) await this.tagIndex.deleteOne({ _id: id }).exec();
      }),
    );
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
