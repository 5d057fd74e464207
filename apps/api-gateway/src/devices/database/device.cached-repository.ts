import { DeviceListFilter, DeviceRecord } from '../domain/device';
import { DeviceTags } from '../domain/device-tags';
import { DatabaseUnavailableError } from '../../infrastructure/mongo-errors';
import { DeviceCacheBroadcast } from './device-cache.broadcast';
import { CertificateUpdate, DeviceRepository, NewDevice } from './device.repository.port';

interface Entry {
  value: DeviceRecord | null;
  expiresAt: number;
}

/**
 * Keeps device lookups off the database on the hot path: every device call
 * resolves a name, and the broker asks about a device id on every login and
 * permission check. Lookups (found or not) are cached for `ttlMs`; this
 * process's own writes (register, revoke) drop the affected entries at once,
 * so a revoked device is refused here immediately, and are broadcast to the
 * other gateway replicas, which drop theirs as soon as they hear (milliseconds).
 * Should a broadcast be lost, `ttlMs` still bounds how long a stale entry lives.
 * While the database is unavailable, an expired entry is served rather than an error.
 */
export class CachedDeviceRepository implements DeviceRepository {
  private readonly byName = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();

  constructor(
    private readonly inner: DeviceRepository,
    private readonly ttlMs: number,
    private readonly broadcast?: DeviceCacheBroadcast,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    broadcast?.subscribe(({ ownerId, name, deviceId }) => this.forget(ownerId, name, deviceId));
  }

  async create(device: NewDevice): Promise<DeviceRecord> {
    this.forget(device.ownerId, device.name, device.deviceId);
    const created = await this.inner.create(device);
    this.forget(device.ownerId, device.name, device.deviceId);
    // Other replicas may have cached "no such device" for the name.
    this.broadcast?.publish({ ownerId: device.ownerId, name: device.name, deviceId: device.deviceId });
    return created;
  }

  findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null> {
    return this.cached(this.byName, nameKey(ownerId, name), () => this.inner.findActiveByName(ownerId, name));
  }

  findActiveById(deviceId: string): Promise<DeviceRecord | null> {
    return this.cached(this.byId, deviceId, () => this.inner.findActiveById(deviceId));
  }

  listActive(ownerId: string, filter?: DeviceListFilter): Promise<DeviceRecord[]> {
    return this.inner.listActive(ownerId, filter);
  }

  async setTags(ownerId: string, name: string, tags: DeviceTags): Promise<DeviceRecord | null> {
    const updated = await this.inner.setTags(ownerId, name, tags);
    this.forget(ownerId, name, updated?.deviceId);
    return updated;
  }

  async replaceCertificate(deviceId: string, update: CertificateUpdate): Promise<DeviceRecord | null> {
    this.byId.delete(deviceId);
    const updated = await this.inner.replaceCertificate(deviceId, update);
    this.byId.delete(deviceId);
    if (updated) this.forget(updated.ownerId, updated.name, deviceId);
    return updated;
  }

  async revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null> {
    const cached = this.byName.get(nameKey(ownerId, name))?.value;
    if (cached) this.forget(ownerId, name, cached.deviceId);
    const revoked = await this.inner.revokeByName(ownerId, name, at);
    this.forget(ownerId, name, revoked?.deviceId);
    if (revoked) this.broadcast?.publish({ ownerId, name, deviceId: revoked.deviceId });
    return revoked;
  }

  private async cached(
    map: Map<string, Entry>,
    key: string,
    load: () => Promise<DeviceRecord | null>,
  ): Promise<DeviceRecord | null> {
    const hit = map.get(key);
    if (hit && hit.expiresAt > this.now()) return hit.value;
    let value: DeviceRecord | null;
    try {
      value = await load();
    } catch (error) {
      // The database is down: known devices keep working from the last answer (nothing can be
      // unregistered meanwhile, and invalidations from other replicas still arrive).
      if (hit && error instanceof DatabaseUnavailableError) return hit.value;
      throw error;
    }
    if (map.size >= this.maxEntries) map.delete(map.keys().next().value as string); // oldest first
    map.set(key, { value, expiresAt: this.now() + this.ttlMs });
    return value;
  }

  private forget(ownerId: string, name: string, deviceId?: string): void {
    this.byName.delete(nameKey(ownerId, name));
    if (deviceId) this.byId.delete(deviceId);
  }
}

function nameKey(ownerId: string, name: string): string {
  return `${ownerId}\u0000${name}`;
}
