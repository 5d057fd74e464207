// The device registry against the real database: the layout migration, names
// unique under concurrency, and names left behind by interrupted writes.
import { Test } from '@nestjs/testing';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Connection, Model } from 'mongoose';
import { getConnectionToken } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import { generateDeviceId } from '@app/device-protocol';
import {
  DeviceRegistryMigration,
  LEGACY_DEVICES_COLLECTION,
} from '../apps/api-gateway/src/devices/database/device-registry.migration';
import {
  DeviceMongoRepository,
  ORPHANED_NAME_GRACE_MS,
} from '../apps/api-gateway/src/devices/database/device.mongo-repository';
import { NewDevice } from '../apps/api-gateway/src/devices/database/device.repository.port';
import {
  Device,
  DeviceName,
  DeviceNameSchema,
  DeviceSchema,
  DeviceTag,
  DeviceTagSchema,
  deviceNameKey,
  deviceTagKey,
} from '../apps/api-gateway/src/devices/database/device.schema';
import {
  DEVICE_NAMES_COLLECTION,
  DEVICE_RECORDS_COLLECTION,
  DEVICE_TAGS_COLLECTION,
} from '../apps/api-gateway/src/devices/database/device.collections';
import { DeviceNameTakenError } from '../apps/api-gateway/src/devices/domain/device.errors';

function newDevice(ownerId: string, name: string): NewDevice {
  return {
    deviceId: generateDeviceId(),
    ownerId,
    name,
    tags: {},
    keyOrigin: 'ec',
    certificatePem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
    certificateSerial: randomBytes(8).toString('hex'),
    certificateFingerprint: randomBytes(32).toString('hex'),
    certificateSerialInSubject: true,
    brokerPasswordHash: randomBytes(32).toString('hex'),
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
  };
}

describe('device registry (real database)', () => {
  let close: () => Promise<void>;
  let repo: DeviceMongoRepository;
  let migration: DeviceRegistryMigration;
  let connection: Connection;
  let names: Model<DeviceName>;
  const owner = () => randomBytes(12).toString('hex');

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [
        MongooseModule.forRoot(process.env.MONGODB_URI as string),
        MongooseModule.forFeature([
          { name: Device.name, schema: DeviceSchema },
          { name: DeviceName.name, schema: DeviceNameSchema },
          { name: DeviceTag.name, schema: DeviceTagSchema },
        ]),
      ],
      providers: [DeviceMongoRepository, DeviceRegistryMigration],
    }).compile();
    await module.init();
    close = () => module.close();
    repo = module.get(DeviceMongoRepository);
    migration = module.get(DeviceRegistryMigration);
    connection = module.get(getConnectionToken());
    names = module.get(getModelToken(DeviceName.name));
  });

  afterAll(async () => close?.());

  it('finds a device by name and by id, and frees the name when it is revoked', async () => {
    const ownerId = owner();
    const created = await repo.create(newDevice(ownerId, 'lamp'));
    expect(await repo.findActiveByName(ownerId, 'lamp')).toEqual(created);
    expect(await repo.findActiveById(created.deviceId)).toEqual(created);
    expect(await repo.findActiveByName(owner(), 'lamp')).toBeNull();

    const revoked = await repo.revokeByName(ownerId, 'lamp', new Date());
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await repo.findActiveById(created.deviceId)).toBeNull();
    expect(await repo.revokeByName(ownerId, 'lamp', new Date())).toBeNull();
    const again = await repo.create(newDevice(ownerId, 'lamp'));
    expect(again.deviceId).not.toBe(created.deviceId);
    expect((await repo.listActive(ownerId)).map((d) => d.deviceId)).toEqual([again.deviceId]);
  });

  it('looks devices up through the _id index, not by scanning (FerretDB as infra/database.sh builds it, or MongoDB)', async () => {
    const created = await repo.create(newDevice(owner(), 'indexed'));
    for (const [collection, id] of [
      [DEVICE_RECORDS_COLLECTION, created.deviceId],
      [DEVICE_NAMES_COLLECTION, deviceNameKey(created.ownerId, 'indexed')],
    ]) {
      const explained = await connection.db!.command({ explain: { find: collection, filter: { _id: id } } });
      // FerretDB/SQLite: "SEARCH <table> USING INDEX <table>__id_" (unpatched: "SCAN <table>"); MongoDB: IDHACK / IXSCAN.
      expect(JSON.stringify(explained.queryPlanner)).toMatch(/USING INDEX|IDHACK|IXSCAN/);
    }
  });

  it('lists a user’s devices from an _id range of the names or tag index, never a scan', async () => {
    const ownerId = owner();
    for (const name of ['a1', 'a2', 'b1']) await repo.create({ ...newDevice(ownerId, name), tags: { site: 'n' } });
    expect((await repo.listActive(ownerId, { limit: 2 })).map((d) => d.name)).toEqual(['a1', 'a2']);
    expect((await repo.listActive(ownerId, { tags: [['site', 'n']], after: 'a1' })).map((d) => d.name)).toEqual([
      'a2',
      'b1',
    ]);
    // The queries listActive sends (an _id range in _id order with a limit), explained by the database.
    for (const [collection, base] of [
      [DEVICE_NAMES_COLLECTION, deviceNameKey(ownerId, '')],
      [DEVICE_TAGS_COLLECTION, deviceTagKey(ownerId, 'site', 'n', '')],
    ]) {
      const explained = await connection.db!.command({
        explain: {
          find: collection,
          filter: { _id: { $gt: `${base}a1`, $lt: `${base}~` } },
          sort: { _id: 1 },
          limit: 2,
        },
      });
      const plan = JSON.stringify(explained.queryPlanner);
      // FerretDB/SQLite (with infra/ferretdb/sqlite-id-range.patch): "SEARCH <table> USING INDEX <table>__id_
      // (<expr>>? AND <expr><?)", no "SCAN <table>", no sorting in a temporary B-tree; MongoDB: IXSCAN on _id.
      expect({ collection, plan }).toEqual({ collection, plan: expect.stringMatching(/USING INDEX|IXSCAN/) });
      expect(plan).not.toMatch(/detail=SCAN |COLLSCAN|TEMP B-TREE/);
      // FerretDB also reports whether the limit reached the database (else it reads the whole range).
      if ('limitPushdown' in explained) expect(explained.limitPushdown).toBe(true);
    }
  });

  it('revokes a device that two unregisters race for, and frees its name', async () => {
    const ownerId = owner();
    const created = await repo.create(newDevice(ownerId, 'raced'));
    const results = await Promise.all([
      repo.revokeByName(ownerId, 'raced', new Date()),
      repo.revokeByName(ownerId, 'raced', new Date()),
    ]);
    // At least one of them reports the revocation (MongoDB: exactly one; FerretDB's
    // findAndModify is not atomic, so there it may be both), and only ever this device.
    const reported = results.filter((r) => r !== null).map((r) => r?.deviceId);
    expect(reported.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reported)).toEqual(new Set([created.deviceId]));
    expect(await repo.findActiveById(created.deviceId)).toBeNull();
    expect((await repo.create(newDevice(ownerId, 'raced'))).name).toBe('raced');
  });

  it('lets exactly one of many concurrent registrations of a name win', async () => {
    const ownerId = owner();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => repo.create(newDevice(ownerId, 'fan'))));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((r) => r.reason instanceof DeviceNameTakenError)).toBe(true);
    expect(await repo.listActive(ownerId)).toHaveLength(1);
  });

  it('reclaims a name left by an interrupted write, but not one a registration is still writing', async () => {
    const ownerId = owner();
    // An unregister that revoked the record but stopped before freeing the name.
    const first = await repo.create(newDevice(ownerId, 'stale'));
    await connection
      .collection(DEVICE_RECORDS_COLLECTION)
      .updateOne({ _id: first.deviceId as never }, { $set: { revokedAt: new Date() } });
    expect(await repo.findActiveByName(ownerId, 'stale')).toBeNull();
    expect((await repo.create(newDevice(ownerId, 'stale'))).name).toBe('stale');

    // A registration that claimed the name and never wrote its record.
    const recent = { _id: deviceNameKey(ownerId, 'pending'), deviceId: generateDeviceId(), claimedAt: new Date() };
    await names.create(recent);
    await expect(repo.create(newDevice(ownerId, 'pending'))).rejects.toBeInstanceOf(DeviceNameTakenError);
    await names.updateOne(
      { _id: recent._id },
      { $set: { claimedAt: new Date(Date.now() - ORPHANED_NAME_GRACE_MS - 1000) } },
    );
    expect((await repo.create(newDevice(ownerId, 'pending'))).name).toBe('pending');
  });

  it('moves records of the first layout (one collection, ObjectId keys) without losing any', async () => {
    const ownerId = owner();
    const legacy = connection.collection(LEGACY_DEVICES_COLLECTION);
    const active = newDevice(ownerId, 'old-lamp');
    const revoked = newDevice(ownerId, 'old-lamp');
    const createdAt = new Date('2026-03-01T10:00:00Z');
    await legacy.insertMany([
      { ...active, nameSlot: 'old-lamp', revokedAt: null, createdAt, __v: 0 },
      { ...revoked, nameSlot: revoked.deviceId, revokedAt: new Date('2026-02-01T00:00:00Z'), createdAt, __v: 0 },
    ]);

    expect(await migration.migrate()).toBe(2);

    const found = await repo.findActiveByName(ownerId, 'old-lamp');
    expect(found).toEqual({ ...active, previousCertificate: null, createdAt, revokedAt: null });
    expect(await repo.findActiveById(revoked.deviceId)).toBeNull();
    const kept = await connection.collection(DEVICE_RECORDS_COLLECTION).findOne({ _id: revoked.deviceId as never });
    expect(kept).toMatchObject({
      certificateSerial: revoked.certificateSerial,
      revokedAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(await connection.db?.listCollections({ name: LEGACY_DEVICES_COLLECTION }).toArray()).toEqual([]);
    await expect(repo.create(newDevice(ownerId, 'old-lamp'))).rejects.toBeInstanceOf(DeviceNameTakenError);
    expect(await migration.migrate()).toBe(0);
  });
});
