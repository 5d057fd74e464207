import { DeviceRecord } from '../domain/device';

export const DEVICE_REPOSITORY = Symbol('DEVICE_REPOSITORY');

export type NewDevice = Omit<DeviceRecord, 'createdAt' | 'revokedAt'>;

export interface DeviceRepository {
  /** Throws DeviceNameTakenError when the owner has an active device of that name. */
  create(device: NewDevice): Promise<DeviceRecord>;
  findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null>;
  /** A registered, not revoked device by its broker identity. */
  findActiveById(deviceId: string): Promise<DeviceRecord | null>;
  listActive(ownerId: string): Promise<DeviceRecord[]>;
  /** Marks the device revoked and frees its name; returns the revoked record, or null if none was active. */
  revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null>;
}
