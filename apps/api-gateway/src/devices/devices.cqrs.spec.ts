import { ConfigService } from '@nestjs/config';
import { CommandBus, CqrsModule, EventBus, QueryBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority, createCertificateAuthority } from '@app/pki';
import { AuditTrail } from '../audit/audit-trail';
import { CERTIFICATE_AUTHORITY } from './certificate-authority.provider';
import { RegisterDeviceCommand } from './commands/register-device/register-device.command';
import { RegisterDeviceHandler } from './commands/register-device/register-device.handler';
import { RenewCertificateCommand } from './commands/renew-certificate/renew-certificate.command';
import { RenewCertificateHandler } from './commands/renew-certificate/renew-certificate.handler';
import { UpdateDeviceCommand } from './commands/update-device/update-device.command';
import { UpdateDeviceHandler } from './commands/update-device/update-device.handler';
import { CertificateRetiredEvent } from './domain/certificate-retired.event';
import { DeviceCertificateIssuer } from './domain/device-certificate-issuer';
import { UnregisterDeviceCommand } from './commands/unregister-device/unregister-device.command';
import { UnregisterDeviceHandler } from './commands/unregister-device/unregister-device.handler';
import { CertificateUpdate, DEVICE_REPOSITORY, DeviceRepository, NewDevice } from './database/device.repository.port';
import { DeviceListFilter, DeviceRecord } from './domain/device';
import { DeviceTags, hasTags } from './domain/device-tags';
import {
  DeviceNameTakenError,
  DeviceNotFoundError,
  InvalidGracePeriodError,
  InvalidTagsError,
} from './domain/device.errors';
import { DeviceUnregisteredEvent } from './domain/device-unregistered.event';
import { GetDeviceHandler } from './queries/get-device/get-device.handler';
import { GetDeviceQuery } from './queries/get-device/get-device.query';
import { ListDevicesHandler } from './queries/list-devices/list-devices.handler';
import { ListDevicesQuery } from './queries/list-devices/list-devices.query';
import { PRESENCE_REPOSITORY, PresenceRepository } from '../presence/database/presence.repository.port';
import { DevicePresence, PresenceConnect, PresenceDisconnect } from '../presence/domain/device-presence';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../observability/gateway.metrics';

/** A fake of the repository port, with the same uniqueness rule as the Mongo index. */
class InMemoryDeviceRepository implements DeviceRepository {
  readonly records: DeviceRecord[] = [];

  async create(device: NewDevice): Promise<DeviceRecord> {
    if (await this.findActiveByName(device.ownerId, device.name)) throw new DeviceNameTakenError(device.name);
    const record: DeviceRecord = { ...device, previousCertificate: null, createdAt: new Date(), revokedAt: null };
    this.records.push(record);
    return record;
  }
  async findActiveByName(ownerId: string, name: string): Promise<DeviceRecord | null> {
    return this.records.find((d) => d.ownerId === ownerId && d.name === name && !d.revokedAt) ?? null;
  }
  async findActiveById(deviceId: string): Promise<DeviceRecord | null> {
    return this.records.find((d) => d.deviceId === deviceId && !d.revokedAt) ?? null;
  }
  async listActive(ownerId: string, filter: DeviceListFilter = {}): Promise<DeviceRecord[]> {
    return this.records
      .filter((d) => d.ownerId === ownerId && !d.revokedAt && hasTags(d, filter.tags ?? []))
      .filter((d) => d.name.startsWith(filter.namePrefix ?? '') && d.name > (filter.after ?? ''))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .slice(0, filter.limit);
  }
  async setTags(ownerId: string, name: string, tags: DeviceTags): Promise<DeviceRecord | null> {
    const device = await this.findActiveByName(ownerId, name);
    return device ? Object.assign(device, { tags }) : null;
  }
  async replaceCertificate(deviceId: string, update: CertificateUpdate): Promise<DeviceRecord | null> {
    const device = await this.findActiveById(deviceId);
    return device ? Object.assign(device, update) : null;
  }
  async revokeByName(ownerId: string, name: string, at: Date): Promise<DeviceRecord | null> {
    const device = await this.findActiveByName(ownerId, name);
    if (device) device.revokedAt = at;
    return device;
  }
}

/** Presence as the tracker would have written it. */
class InMemoryPresenceRepository implements PresenceRepository {
  readonly records = new Map<string, DevicePresence>();
  async findMany(deviceIds: string[]): Promise<Map<string, DevicePresence>> {
    return new Map(deviceIds.flatMap((id) => (this.records.has(id) ? [[id, this.records.get(id)!]] : [])));
  }
  async find(deviceId: string): Promise<DevicePresence | null> {
    return this.records.get(deviceId) ?? null;
  }
  async connect({ connectionName, at, ...device }: PresenceConnect): Promise<boolean> {
    if (this.records.get(device.deviceId)?.connectionName === connectionName) return false;
    const before = this.records.get(device.deviceId);
    this.records.set(device.deviceId, {
      ...device,
      online: true,
      connectionName,
      connectedAt: at,
      lastSeenAt: at,
      disconnectedAt: before?.disconnectedAt ?? null,
      disconnectReason: before?.disconnectReason ?? null,
    });
    return true;
  }
  async completeTransport({ deviceId, transport, protocolLevel }: PresenceConnect): Promise<void> {
    const record = this.records.get(deviceId);
    if (record?.online && record.protocolLevel === null) Object.assign(record, { transport, protocolLevel });
  }
  async disconnect(deviceId: string, { connectionName, at, reason }: PresenceDisconnect): Promise<boolean> {
    const record = this.records.get(deviceId);
    if (!record?.online || record.connectionName !== connectionName) return false;
    Object.assign(record, { online: false, connectionName: null, disconnectedAt: at, disconnectReason: reason });
    return true;
  }
  async disconnectByConnection(change: PresenceDisconnect): Promise<DevicePresence | null> {
    const record = [...this.records.values()].find((p) => p.online && p.connectionName === change.connectionName);
    const before = record && { ...record };
    return before && (await this.disconnect(before.deviceId, change)) ? before : null;
  }
  async listOnline(): Promise<DevicePresence[]> {
    return [...this.records.values()].filter((p) => p.online);
  }
  async touch(): Promise<void> {}
}

/** The device `name` of owner-1, connected over MQTT 3.1.1 now. */
function onMqtt(deviceId: string, name: string): PresenceConnect {
  return {
    deviceId,
    ownerId: 'owner-1',
    name,
    transport: 'mqtt',
    protocolLevel: 4,
    connectionName: 'c1',
    at: new Date(),
  };
}

describe('devices use cases, wired through the real CQRS buses', () => {
  let commandBus: CommandBus;
  let queryBus: QueryBus;
  let events: DeviceUnregisteredEvent[];
  let retired: CertificateRetiredEvent[];
  let repository: InMemoryDeviceRepository;
  let presence: InMemoryPresenceRepository;
  const audited = jest.fn();
  let ca: CertificateAuthority;

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Unit Test CA' });
  });

  beforeEach(async () => {
    repository = new InMemoryDeviceRepository();
    presence = new InMemoryPresenceRepository();
    const moduleRef = await Test.createTestingModule({
      imports: [CqrsModule.forRoot()],
      providers: [
        RegisterDeviceHandler,
        UnregisterDeviceHandler,
        RenewCertificateHandler,
        UpdateDeviceHandler,
        DeviceCertificateIssuer,
        ListDevicesHandler,
        GetDeviceHandler,
        { provide: DEVICE_REPOSITORY, useValue: repository },
        { provide: PRESENCE_REPOSITORY, useValue: presence },
        { provide: AuditTrail, useValue: { record: audited } },
        { provide: CERTIFICATE_AUTHORITY, useValue: ca },
        { provide: GatewayMetrics, useValue: new GatewayMetrics(new Registry()) },
        {
          provide: ConfigService,
          useValue: new ConfigService({ DEVICE_CERT_VALIDITY_DAYS: 30, RSA_KEYGEN_CONCURRENCY: 1 }),
        },
      ],
    }).compile();
    await moduleRef.init();
    commandBus = moduleRef.get(CommandBus);
    queryBus = moduleRef.get(QueryBus);
    events = [];
    retired = [];
    moduleRef.get(EventBus).subscribe((event) => {
      if (event instanceof DeviceUnregisteredEvent) events.push(event);
      if (event instanceof CertificateRetiredEvent) retired.push(event);
    });
  });

  it('registers a device with a certificate for its id and the configured validity, storing no key', async () => {
    const result = await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    expect(result.privateKeyPem).toMatch(/PRIVATE KEY/);
    expect(result.caCertificatePem).toBe(ca.certificatePem);
    const cert = new X509Certificate(result.device.certificatePem);
    expect(cert.subject).toBe(`CN=${result.device.deviceId}\nserialNumber=${result.device.certificateSerial}`);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(JSON.stringify(repository.records)).not.toMatch(/PRIVATE KEY/);
  });

  it('refuses a second active device with the same name for the same owner only', async () => {
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    await expect(commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'))).rejects.toBeInstanceOf(
      DeviceNameTakenError,
    );
    await expect(commandBus.execute(new RegisterDeviceCommand('owner-2', 'lamp', 'ec'))).resolves.toBeDefined();
  });

  it('lists and gets only the owner’s active devices', async () => {
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'a', 'ec'));
    await commandBus.execute(new RegisterDeviceCommand('owner-2', 'b', 'ec'));
    const list = await queryBus.execute(new ListDevicesQuery('owner-1'));
    expect(list.map((d) => d.name)).toEqual(['a']);
    await expect(queryBus.execute(new GetDeviceQuery('owner-1', 'b'))).rejects.toBeInstanceOf(DeviceNotFoundError);
  });

  it('joins presence and filters on online', async () => {
    const { device: a } = await commandBus.execute(new RegisterDeviceCommand('owner-1', 'a', 'ec'));
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'b', 'ec'));
    await presence.connect(onMqtt(a.deviceId, 'a'));
    const online = await queryBus.execute(new ListDevicesQuery('owner-1', {}, true));
    expect(online.map((d) => [d.name, d.presence?.transport])).toEqual([['a', 'mqtt']]);
    const offline = await queryBus.execute(new ListDevicesQuery('owner-1', {}, false));
    expect(offline.map((d) => [d.name, d.presence])).toEqual([['b', null]]);
    expect((await queryBus.execute(new GetDeviceQuery('owner-1', 'a'))).presence?.online).toBe(true);
  });

  it('fills each page of an online filter, skipping devices of the other kind, and keeps the cursor', async () => {
    for (const name of ['a', 'b', 'c', 'd']) {
      await commandBus.execute(new RegisterDeviceCommand('owner-1', name, 'ec'));
    }
    const b = repository.records.find((r) => r.name === 'b')!;
    await presence.connect(onMqtt(b.deviceId, 'b'));
    const first = await queryBus.execute(new ListDevicesQuery('owner-1', { limit: 2 }, false));
    expect(first.map((d) => d.name)).toEqual(['a', 'c']);
    const next = await queryBus.execute(new ListDevicesQuery('owner-1', { limit: 2, after: 'c' }, false));
    expect(next.map((d) => d.name)).toEqual(['d']);
  });

  it('unregisters: revokes, publishes DeviceUnregisteredEvent, and a second time is not found', async () => {
    const { device } = await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    await commandBus.execute(new UnregisterDeviceCommand('owner-1', 'lamp'));
    expect(repository.records[0].revokedAt).toBeInstanceOf(Date);
    expect(events).toEqual([
      new DeviceUnregisteredEvent(device.deviceId, 'owner-1', 'lamp', [
        { serial: device.certificateSerial, serialInSubject: true },
      ]),
    ]);
    expect(audited).toHaveBeenCalledWith({
      userId: 'owner-1',
      action: 'device.unregistered',
      outcome: 'OK',
      deviceId: device.deviceId,
      deviceName: 'lamp',
    });
    await expect(commandBus.execute(new UnregisterDeviceCommand('owner-1', 'lamp'))).rejects.toBeInstanceOf(
      DeviceNotFoundError,
    );
  });

  it('renews a certificate in place: same deviceId, new serial and key, the old one retired at once', async () => {
    const { device } = await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    const oldSerial = device.certificateSerial;
    const renewed = await commandBus.execute(new RenewCertificateCommand('owner-1', 'lamp', 'ec'));
    expect(renewed.device.deviceId).toBe(device.deviceId);
    expect(renewed.device.certificateSerial).not.toBe(oldSerial);
    expect(renewed.privateKeyPem).toMatch(/PRIVATE KEY/);
    expect(new X509Certificate(renewed.device.certificatePem).subject).toContain(`CN=${device.deviceId}`);
    expect(renewed.device.previousCertificate).toBeNull();
    expect(retired).toHaveLength(1);
    expect(retired[0].certificate).toEqual({ serial: oldSerial, serialInSubject: true });
    expect(retired[0].at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(repository.records)).not.toMatch(/PRIVATE KEY/);
  });

  it('keeps the old certificate for graceSeconds, and refuses a grace beyond 7 days', async () => {
    const { device } = await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    const oldSerial = device.certificateSerial;
    const renewed = await commandBus.execute(new RenewCertificateCommand('owner-1', 'lamp', 'ec', undefined, 3600));
    expect(renewed.device.previousCertificate).toMatchObject({ serial: oldSerial });
    const graceEnd = renewed.device.previousCertificate?.validUntil.getTime() ?? 0;
    expect(graceEnd - Date.now()).toBeGreaterThan(3_500_000);
    expect(retired[0].at.getTime()).toBe(graceEnd);
    await expect(
      commandBus.execute(new RenewCertificateCommand('owner-1', 'lamp', 'ec', undefined, 7 * 86_400 + 1)),
    ).rejects.toBeInstanceOf(InvalidGracePeriodError);
  });

  it('renewing another owner’s device is not found', async () => {
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp', 'ec'));
    await expect(commandBus.execute(new RenewCertificateCommand('owner-2', 'lamp', 'ec'))).rejects.toBeInstanceOf(
      DeviceNotFoundError,
    );
  });

  it('registers with tags, replaces them, refuses bad ones, and lists by tag, prefix and page', async () => {
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp-1', 'ec', undefined, { site: 'north' }));
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'lamp-2', 'ec', undefined, { site: 'south' }));
    await commandBus.execute(new RegisterDeviceCommand('owner-1', 'pump', 'ec', undefined, { site: 'north' }));
    const updated = await commandBus.execute(
      new UpdateDeviceCommand('owner-1', 'lamp-2', { site: 'north', kind: 'x' }),
    );
    expect(updated.tags).toEqual({ site: 'north', kind: 'x' });
    const north = await queryBus.execute(new ListDevicesQuery('owner-1', { tags: [['site', 'north']] }));
    expect(north.map((d) => d.name)).toEqual(['lamp-1', 'lamp-2', 'pump']);
    const page = await queryBus.execute(new ListDevicesQuery('owner-1', { namePrefix: 'lamp', after: 'lamp-1' }));
    expect(page.map((d) => d.name)).toEqual(['lamp-2']);
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    await expect(commandBus.execute(new UpdateDeviceCommand('owner-1', 'pump', tooMany))).rejects.toBeInstanceOf(
      InvalidTagsError,
    );
    await expect(
      commandBus.execute(new RegisterDeviceCommand('owner-1', 'bad', 'ec', undefined, { 'a/b': 'v' })),
    ).rejects.toBeInstanceOf(InvalidTagsError);
    await expect(commandBus.execute(new UpdateDeviceCommand('owner-2', 'pump', {}))).rejects.toBeInstanceOf(
      DeviceNotFoundError,
    );
  });
});
