import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument } from 'mongoose';
import { DeviceKeyOrigin, PreviousCertificate } from '../domain/device';
import { DEVICE_NAMES_COLLECTION, DEVICE_RECORDS_COLLECTION } from './device.collections';

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

  @Prop({ required: true, enum: ['rsa', 'ec', 'csr'] })
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
// Listing a user's devices; a real MongoDB uses it, FerretDB/SQLite scans.
DeviceSchema.index({ ownerId: 1, revokedAt: 1 });

/**
 * The names in use: one document per active device, keyed by `<ownerId>/<name>`,
 * so a name is unique per user by construction (no unique secondary index, which
 * FerretDB's SQLite backend would check by scanning) and found by `_id`.
 * Unregistering deletes it, which frees the name.
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
