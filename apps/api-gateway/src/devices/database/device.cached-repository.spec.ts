import { DeviceRecord } from '../domain/device';
import { DatabaseUnavailableError } from '../../infrastructure/mongo-errors';
import { DeviceCacheBroadcast, DeviceCacheInvalidation } from './device-cache.broadcast';
import { CachedDeviceRepository } from './device.cached-repository';
import { DeviceRepository, NewDevice } from './device.repository.port';

const device = (name: string, deviceId: string): DeviceRecord => ({
  deviceId,
  ownerId: 'owner',
  name,
  tags: {},
  keyOrigin: 'ec',
  certificatePem: 'cert',
  certificateSerial: '01',
  certificateFingerprint: 'ff',
  certificateSerialInSubject: true,
  previousCertificate: null,
  brokerPasswordHash: 'hh',
  notBefore: new Date(0),
  notAfter: new Date(0),
  createdAt: new Date(0),
  revokedAt: null,
});

describe('CachedDeviceRepository', () => {
  let active: DeviceRecord[];
  let inner: jest.Mocked<DeviceRepository>;
  let clock: number;
  let repo: CachedDeviceRepository;

  beforeEach(() => {
    active = [device('lamp', 'a'.repeat(32))];
    inner = {
      create: jest.fn(async (d: NewDevice) => {
        const record = { ...d, previousCertificate: null, createdAt: new Date(0), revokedAt: null };
        active.push(record);
        return record;
      }),
      findActiveByName: jest.fn(async (_o: string, name: string) => active.find((d) => d.name === name) ?? null),
      findActiveById: jest.fn(async (id: string) => active.find((d) => d.deviceId === id) ?? null),
      listActive: jest.fn(async (_o: string) => active),
      replaceCertificate: jest.fn(async (id: string, update) => {
        const found = active.find((d) => d.deviceId === id);
        return found ? Object.assign(found, update) : null;
      }),
      setTags: jest.fn(async (_o: string, name: string, tags: Record<string, string>) => {
        const found = active.find((d) => d.name === name);
        return found ? Object.assign(found, { tags }) : null;
      }),
      revokeByName: jest.fn(async (_o: string, name: string, _at: Date) => {
        const found = active.find((d) => d.name === name) ?? null;
        active = active.filter((d) => d !== found);
        return found;
      }),
    };
    clock = 0;
    repo = new CachedDeviceRepository(inner, 1000, undefined, 100, () => clock);
  });

  it('answers repeated lookups from memory until the TTL ends', async () => {
    await repo.findActiveByName('owner', 'lamp');
    await repo.findActiveByName('owner', 'lamp');
    await repo.findActiveById('a'.repeat(32));
    await repo.findActiveById('a'.repeat(32));
    expect(inner.findActiveByName).toHaveBeenCalledTimes(1);
    expect(inner.findActiveById).toHaveBeenCalledTimes(1);
    clock = 1001;
    await repo.findActiveByName('owner', 'lamp');
    expect(inner.findActiveByName).toHaveBeenCalledTimes(2);
  });

  it('forgets a revoked device at once, by name and by id', async () => {
    await repo.findActiveByName('owner', 'lamp');
    await repo.findActiveById('a'.repeat(32));
    await repo.revokeByName('owner', 'lamp', new Date());
    expect(await repo.findActiveByName('owner', 'lamp')).toBeNull();
    expect(await repo.findActiveById('a'.repeat(32))).toBeNull();
  });

  it('forgets a cached "not found" when the name is registered', async () => {
    expect(await repo.findActiveByName('owner', 'fan')).toBeNull();
    await repo.create({ ...device('fan', 'b'.repeat(32)) });
    expect((await repo.findActiveByName('owner', 'fan'))?.deviceId).toBe('b'.repeat(32));
  });

  it('stays bounded', async () => {
    for (let i = 0; i < 150; i++) await repo.findActiveById(i.toString(16).padStart(32, '0'));
    clock = 10; // still fresh: only evicted entries are loaded again
    await repo.findActiveById((149).toString(16).padStart(32, '0'));
    await repo.findActiveById((0).toString(16).padStart(32, '0'));
    expect(inner.findActiveById).toHaveBeenCalledTimes(151);
  });

  it('tells the other replicas about a revocation, and forgets what another replica revoked', async () => {
    const listeners: ((i: DeviceCacheInvalidation) => void)[] = [];
    const broadcast: DeviceCacheBroadcast = { publish: jest.fn(), subscribe: (l) => listeners.push(l) };
    const replicaA = new CachedDeviceRepository(inner, 60_000, broadcast, 100, () => clock);
    await replicaA.revokeByName('owner', 'lamp', new Date());
    expect(broadcast.publish).toHaveBeenCalledWith({ ownerId: 'owner', name: 'lamp', deviceId: 'a'.repeat(32) });

    const replicaB = new CachedDeviceRepository(inner, 60_000, broadcast, 100, () => clock);
    active = [device('fan', 'c'.repeat(32))];
    expect(await replicaB.findActiveById('c'.repeat(32))).not.toBeNull();
    active = []; // revoked elsewhere: replica B still answers from its cache...
    expect(await replicaB.findActiveById('c'.repeat(32))).not.toBeNull();
    for (const listener of listeners) listener({ ownerId: 'owner', name: 'fan', deviceId: 'c'.repeat(32) });
    expect(await replicaB.findActiveById('c'.repeat(32))).toBeNull(); // ...until it hears of it
  });

  it('serves a known device from an expired entry while the database is unavailable', async () => {
    await repo.findActiveByName('owner', 'lamp');
    clock = 5000;
    inner.findActiveByName.mockRejectedValueOnce(new DatabaseUnavailableError('MongoNetworkError'));
    expect((await repo.findActiveByName('owner', 'lamp'))?.deviceId).toBe('a'.repeat(32));
    inner.findActiveByName.mockRejectedValueOnce(new DatabaseUnavailableError('MongoNetworkError'));
    await expect(repo.findActiveByName('owner', 'never-seen')).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });
});
