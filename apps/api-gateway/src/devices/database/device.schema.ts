import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument } from 'mongoose';
import { DeviceKeyOrigin, PreviousCertificate } from '../domain/device';
import { DEVICE_NAMES_COLLECTION, DEVICE_RECORDS_COLLECTION, DEVICE_TAGS_COLLECTION } from './device.collections';

/**
 * Every device ever registered, revoked ones included (their certificates stay
 * on record). Keyed by deviceId: the hot lookups (a device call, a broker login
 * or permission check) go by `_id`, the one key every MongoDB-compatible store
 * answers without scanning (FerretDB's SQLite backend uses no other index).
 */
@Schema({ collection: DEVICE_RECORDS_COLLECTION, versionKey: false, timestamps: { createdAt: true, updatedAt: false } })
export class Device {
  /** The deviceId. */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true })
  ownerId: string;

  @Prop({ required: true })
  name: string;

  /** Missing on records older than tags. */
  @Prop({ type: Object, default: {} })
  tags: Record<string, string>;

  @Prop({ type: String, required: true, enum: ['rsa', 'ec', 'csr'] })
  keyOrigin: DeviceKeyOrigin;

  @Prop({ required: true })
  certificatePem: string;

  @Prop({ required: true })
  certificateSerial: string;

  @Prop({ required: true, index: true })
  certificateFingerprint: string;

  /** Missing on records older than renewal: their certificates' subjects are `CN=deviceId` only. */
  @Prop({ type: Boolean, default: false })
  certificateSerialInSubject: boolean;

  @Prop({ type: Object, default: null })
  previousCertificate: PreviousCertificate | null;

  @Prop({ required: true })
  brokerPasswordHash: string;

  @Prop({ required: true })
  notBefore: Date;

  @Prop({ required: true })
  notAfter: Date;

  @Prop({ type: Date, default: null })
  revokedAt: Date | null;

  createdAt: Date;
}

export type DeviceDocument = HydratedDocument<Device>;
export const DeviceSchema = SchemaFactory.createForClass(Device);

/**
 * The names in use: one document per active device, keyed by `<ownerId>/<name>`,
 * so a name is unique per user by construction (no unique secondary index, which
 * FerretDB's SQLite backend would check by scanning) and found by `_id`.
 * Unregistering deletes it, which frees the name. Listing a user's devices reads a range of
 * these keys in `_id` order (`<ownerId>/` … `<ownerId>/~`), which FerretDB answers from its
 * `_id` index with our patch (infra/ferretdb/sqlite-id-range.patch), as MongoDB does.
 */
@Schema({ collection: DEVICE_NAMES_COLLECTION, versionKey: false })
export class DeviceName {
  /** `<ownerId>/<name>`: see deviceNameKey(). */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true })
  deviceId: string;

  /** When the name was taken: a name whose device never got written is reclaimed after a grace period. */
  @Prop({ required: true })
  claimedAt: Date;
}

export const DeviceNameSchema = SchemaFactory.createForClass(DeviceName);

export function deviceNameKey(ownerId: string, name: string): string {
  return `${ownerId}/${name}`;
}

/**
 * The tag index: one document per tag of an active device, keyed `<ownerId>/<key>=<value>/<name>`,
 * so the devices of a user with one tag are a range of `_id`s, in name order. A hint only: the
 * listing checks every hit against the device record, which holds the tags.
 */
@Schema({ collection: DEVICE_TAGS_COLLECTION, versionKey: false })
export class DeviceTag {
  /** See deviceTagKey(). */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true })
  deviceId: string;
}

export const DeviceTagSchema = SchemaFactory.createForClass(DeviceTag);

export function deviceTagKey(ownerId: string, key: string, value: string, name: string): string {
  return `${ownerId}/${key}=${value}/${name}`;
}

/** Sorts after every device name (names are letters, digits, `_` and `-`): the end of a key range. */
export const AFTER_ALL_NAMES = '~';
