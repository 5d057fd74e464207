// Presence changes against the real database: each is one conditional write, whose filter names
// the connection it applies to, so repeated events and closes of replaced connections change nothing.
import { Test } from '@nestjs/testing';
import { MongooseModule, getConnectionToken } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import { generateDeviceId } from '@app/device-protocol';
import {
  DEVICE_PRESENCE_COLLECTION,
  PresenceMongoRepository,
} from '../apps/api-gateway/src/presence/database/presence.mongo-repository';
import { PresenceConnect } from '../apps/api-gateway/src/presence/domain/device-presence';

describe('presence store (real database)', () => {
  let close: () => Promise<void>;
  let repo: PresenceMongoRepository;
  let db: Connection;

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [MongooseModule.forRoot(process.env.MONGODB_URI as string)],
      providers: [PresenceMongoRepository],
    }).compile();
    await module.init();
    close = () => module.close();
    repo = module.get(PresenceMongoRepository);
    db = module.get(getConnectionToken());
  });

  afterAll(async () => close?.());

  /** Connection names are the broker's, unique on it: here unique per device, so tests do not meet. */
  const conn = (deviceId: string, letter: string) => `${letter} ${deviceId}`;
  const t = (second: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, second));
  const connection = (deviceId: string, connectionName: string, second: number): PresenceConnect => ({
    deviceId,
    ownerId: 'owner-1',
    name: 'lamp',
    transport: 'mqtt',
    protocolLevel: null,
    connectionName: conn(deviceId, connectionName),
    at: t(second),
  });

  it('records a connect once; a repeated one only completes the MQTT level', async () => {
    const deviceId = generateDeviceId();
    expect(await repo.connect(connection(deviceId, 'A', 1))).toBe(true);
    expect(await repo.find(deviceId)).toEqual({
      deviceId,
      ownerId: 'owner-1',
      name: 'lamp',
      online: true,
      transport: 'mqtt',
      protocolLevel: null,
      connectionName: conn(deviceId, 'A'),
      connectedAt: t(1),
      lastSeenAt: t(1),
      disconnectedAt: null,
      disconnectReason: null,
    });

    const again = { ...connection(deviceId, 'A', 2), protocolLevel: 5 };
    expect(await repo.connect(again)).toBe(false);
    await repo.completeTransport(again);
    expect(await repo.find(deviceId)).toMatchObject({
      connectionName: conn(deviceId, 'A'),
      connectedAt: t(1),
      protocolLevel: 5,
    });
  });

  it('ignores the close of a connection already replaced; a reconnect keeps the last disconnect', async () => {
    const deviceId = generateDeviceId();
    await repo.connect(connection(deviceId, 'A', 1));
    // The device reconnects before the broker closes its old connection.
    expect(await repo.connect(connection(deviceId, 'B', 2))).toBe(true);
    expect(await repo.disconnect(deviceId, { connectionName: conn(deviceId, 'A'), at: t(3), reason: 'replaced' })).toBe(
      false,
    );
    expect(
      await repo.disconnectByConnection({ connectionName: conn(deviceId, 'A'), at: t(3), reason: 'replaced' }),
    ).toBeNull();
    expect(await repo.find(deviceId)).toMatchObject({
      online: true,
      connectionName: conn(deviceId, 'B'),
      disconnectedAt: null,
    });

    expect(await repo.disconnect(deviceId, { connectionName: conn(deviceId, 'B'), at: t(4), reason: 'gone' })).toBe(
      true,
    );
    expect(await repo.disconnect(deviceId, { connectionName: conn(deviceId, 'B'), at: t(5), reason: 'twice' })).toBe(
      false,
    );
    expect(await repo.find(deviceId)).toMatchObject({
      online: false,
      connectionName: null,
      disconnectedAt: t(4),
      disconnectReason: 'gone',
      lastSeenAt: t(4),
    });

    expect(await repo.connect(connection(deviceId, 'C', 6))).toBe(true);
    expect(await repo.find(deviceId)).toMatchObject({
      online: true,
      connectionName: conn(deviceId, 'C'),
      connectedAt: t(6),
      disconnectedAt: t(4),
      disconnectReason: 'gone',
    });
  });

  it('finds the device of a connection it never saw connect, and closes it once', async () => {
    const deviceId = generateDeviceId();
    const name = conn(deviceId, 'A');
    await repo.connect(connection(deviceId, 'A', 1));
    const closed = await repo.disconnectByConnection({ connectionName: name, at: t(2), reason: null });
    expect(closed).toMatchObject({ deviceId, ownerId: 'owner-1', name: 'lamp', online: true });
    expect(await repo.disconnectByConnection({ connectionName: name, at: t(3), reason: null })).toBeNull();
    expect(await repo.find(deviceId)).toMatchObject({ online: false, disconnectedAt: t(2) });
  });

  it('finds the record of a conditional write through the _id index, not by scanning (FerretDB as infra/database.sh builds it, or MongoDB)', async () => {
    const deviceId = generateDeviceId();
    await repo.connect(connection(deviceId, 'A', 1));
    const filter = { _id: deviceId, online: true, connectionName: conn(deviceId, 'A') };
    const explained = await db.db!.command({ explain: { find: DEVICE_PRESENCE_COLLECTION, filter } });
    // FerretDB/SQLite: "SEARCH <table> USING INDEX <table>__id_" (without sqlite-id-with-conditions.patch: "SCAN <table>").
    const plan = JSON.stringify(explained.queryPlanner);
    expect(plan).toMatch(/USING INDEX|IDHACK|IXSCAN/);
    expect(plan).not.toMatch(/detail=SCAN |COLLSCAN/);
  });
});
