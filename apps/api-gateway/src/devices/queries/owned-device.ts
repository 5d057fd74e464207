import { DeviceRepository } from '../database/device.repository.port';
import { DeviceRecord } from '../domain/device';
import { DeviceNotFoundError } from '../domain/device.errors';

/**
 * The caller's active device of that name, for every use case that takes `{name}`;
 * DeviceNotFoundError when there is none (also when only another user has one by
 * that name: users never learn of each other's devices).
 */
export async function findOwnedDevice(devices: DeviceRepository, ownerId: string, name: string): Promise<DeviceRecord> {
  const device = await devices.findActiveByName(ownerId, name);
  if (!device) throw new DeviceNotFoundError(name);
  return device;
}
