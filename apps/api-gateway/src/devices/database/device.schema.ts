import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument } from 'mongoose';
import { DeviceKeyOrigin } from '../domain/device';

@Schema({ collection: 'devices', timestamps: { createdAt: true, updatedAt: false } })
export class Device {
  @Prop({ required: true, unique: true })
  deviceId: string;

  @Prop({ required: true })
  ownerId: string;

  @Prop({ required: true })
  name: string;

  /**
   * The name while the device is active, its deviceId once revoked. The unique
   * (ownerId, nameSlot) index makes names unique per user among active devices
   * and frees a name on unregister, without partial indexes (which FerretDB lacks).
   */
  @Prop({ required: true })
  nameSlot: string;

  @Prop({ required: true, enum: ['rsa', 'ec', 'csr'] })
  keyOrigin: DeviceKeyOrigin;

  @Prop({ required: true })
  certificatePem: string;

  @Prop({ required: true })
  certificateSerial: string;

  @Prop({ required: true, index: true })
  certificateFingerprint: string;

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
DeviceSchema.index({ ownerId: 1, nameSlot: 1 }, { unique: true });
