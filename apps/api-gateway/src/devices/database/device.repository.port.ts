import { CertificateFields, DeviceListFilter, DeviceRecord } from '../domain/device';
import { DeviceTags } from '../domain/device-tags';

export const DEVICE_REPOSITORY = Symbol('DEVICE_REPOSITORY');

export type NewDevice = Omit<DeviceRecord, 'createdAt' | 'revokedAt' | 'previousCertificate'>;

/** What a certificate renewal changes on the record: the new certificate, and the one it replaced. */
export type CertificateUpdate = CertificateFields & Pick<DeviceRecord, 'previousCertificate'>;

export interface DeviceRepository {
  /** Throws DeviceNameTakenError when the owner has an active device of that name. */
  create(device: NewDevice): Promise<DeviceRecord>;
  findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null>;
  /** A registered, not revoked device by its broker identity. */
  findActiveById(deviceId: string): Promise<DeviceRecord | null>;
  /** The owner's active devices in name order, filtered and paged; never a scan of the registry. */
  listActive(ownerId: string, filter?: DeviceListFilter): Promise<DeviceRecord[]>;
  /** Replaces an active device's tags; returns the updated record, or null if none is active. */
  setTags(ownerId: string, name: string, tags: DeviceTags): Promise<DeviceRecord | null>;
  /** Replaces an active device's certificate; returns the updated record, or null if it is not active. */
  replaceCertificate(deviceId: string, update: CertificateUpdate): Promise<DeviceRecord | null>;
  /** Marks the device revoked and frees its name; returns the revoked record, or null if none was active. */
  revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null>;
}
