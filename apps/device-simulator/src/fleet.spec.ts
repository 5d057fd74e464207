import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMqttBroker } from '../test/fake-mqtt-broker';
import { TestPki, createTestDevice, createTestPki } from '../test/test-pki';
import {
  FleetError,
  ProgressLine,
  fleetLogger,
  forEachBounded,
  listDeviceFiles,
  startFleet,
  summarizeFailures,
} from './fleet';

jest.setTimeout(60_000);

function sink(isTTY: boolean): { write: (text: string) => void; isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (text) => void chunks.push(text), text: () => chunks.join('') };
}

describe('ProgressLine', () => {
  it('off a terminal: one line per tenth', () => {
    const out = sink(false);
    const progress = new ProgressLine(out, 200, 'connecting');
    for (let done = 1; done <= 200; done += 1) progress.update(done, 0);
    progress.update(200, 0, true);
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('connecting 20/200: 20 connected, 0 failed');
    expect(lines[9]).toBe('connecting 200/200: 200 connected, 0 failed');
    expect(out.text()).not.toContain('\r');
  });

  it('on a terminal: rewrites one line, at most every 100 ms, and ends it', () => {
    const out = sink(true);
    let now = 0;
    const progress = new ProgressLine(out, 1000, 'connecting', () => now);
    for (let done = 1; done <= 999; done += 1) {
      now += 1; // 1 ms per device
      progress.update(done - 1, 1);
    }
    progress.update(999, 1, true);
    const text = out.text();
    expect(text.split('\n')).toHaveLength(2); // a single line, then the final newline
    const draws = text.split('\r').length - 1;
    expect(draws).toBeGreaterThanOrEqual(9);
    expect(draws).toBeLessThanOrEqual(12);
    expect(text.endsWith('\rconnecting 1000/1000: 999 connected, 1 failed\u001b[K\n')).toBe(true);
  });
});

describe('forEachBounded', () => {
  it('never runs more than the bound at once, and runs everything', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(
      Array.from({ length: 50 }, (_, i) => i),
      7,
      async (item) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1 + (item % 3)));
        seen.push(item);
        inFlight -= 1;
      },
    );
    expect(peak).toBe(7);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('stops taking new items once aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await forEachBounded(
      Array.from({ length: 20 }, (_, i) => i),
      2,
      async (item) => {
        seen.push(item);
        if (item === 3) controller.abort();
      },
      controller.signal,
    );
    expect(seen.length).toBeLessThan(6);
  });
});

describe('fleetLogger', () => {
  it('drops info unless verbose and caps warnings', () => {
    const infos: string[] = [];
    const warnings: string[] = [];
    const base = { info: (l: string) => infos.push(l), warn: (l: string) => warnings.push(l) };
    const quiet = fleetLogger(base, false);
    quiet.info('request');
    for (let i = 0; i < 2500; i += 1) quiet.warn(`w${i}`);
    expect(infos).toEqual([]);
    expect(warnings).toHaveLength(22); // 20 shown + a summary at 1000 and 2000
    expect(warnings[20]).toContain('1000 device warnings so far');
    expect(quiet.warnings()).toBe(2500);
    const verbose = fleetLogger(base, true);
    verbose.info('request');
    expect(infos).toEqual(['request']);
  });
});

describe('summarizeFailures', () => {
  it('groups by message with device ids masked, biggest group first', () => {
    const error = (m: string): Error => new Error(m);
    const lines = summarizeFailures([
      { source: 'a.json', error: error('refused') },
      { source: 'b.json', error: error('bad id 0123456789abcdef0123456789abcdef') },
      { source: 'c.json', error: error('bad id fedcba9876543210fedcba9876543210') },
    ]);
    expect(lines).toEqual(['  2 x bad id <id> (e.g. b.json)', '  1 x refused (e.g. a.json)']);
  });
});

describe('listDeviceFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-list-'));
    for (const name of ['c.json', 'a.json', 'b.JSON', 'notes.txt']) await writeFile(join(dir, name), '{}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes the first N json files by name', async () => {
    expect(await listDeviceFiles(dir, 2)).toEqual([join(dir, 'a.json'), join(dir, 'b.JSON')]);
  });

  it('skips the first `offset` files (one of several fleet processes)', async () => {
    expect(await listDeviceFiles(dir, 2, 1)).toEqual([join(dir, 'b.JSON'), join(dir, 'c.json')]);
    await expect(listDeviceFiles(dir, 2, 2)).rejects.toThrow('fewer than 2 skipped + --count 2');
  });

  it('says when there are too few, or no folder', async () => {
    await expect(listDeviceFiles(dir, 4)).rejects.toThrow(FleetError);
    await expect(listDeviceFiles(dir, 4)).rejects.toThrow('holds 3 device file(s) (*.json), fewer than --count 4');
    await expect(listDeviceFiles(join(dir, 'nope'), 1)).rejects.toThrow(/cannot read --devices-dir/);
  });
});

describe('startFleet (against a fake MQTT broker)', () => {
  let pki: TestPki;
  let broker: FakeMqttBroker;
  let dir: string;
  let port: number;
  const ids: string[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    broker = new FakeMqttBroker({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca.certificatePem });
    port = await broker.listen();
    dir = await mkdtemp(join(tmpdir(), 'sim-fleet-'));
    for (let i = 0; i < 5; i += 1) {
      const device = await createTestDevice(pki.ca);
      ids.push(device.deviceId);
      const registration = {
        deviceId: device.deviceId,
        name: `dev-${i}`,
        certificate: device.certificatePem,
        privateKey: device.privateKeyPem,
        caCertificate: pki.ca.certificatePem,
        mqtt: { host: 'localhost', port },
        amqp: { host: 'localhost', port: 5671 },
      };
      await writeFile(join(dir, `device-${i}.json`), JSON.stringify(registration));
    }
    // A GET /devices/{id} response saved by mistake: no private key.
    await writeFile(join(dir, 'device-5.json'), JSON.stringify({ deviceId: ids[0], certificate: 'x' }));
    await writeFile(join(dir, 'device-6.json'), '{}'); // beyond --count
  });

  afterAll(async () => {
    await broker?.close();
    await pki?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects the first N devices with bounded concurrency and reports the rest', async () => {
    const progress = sink(false);
    const infos: string[] = [];
    const fleet = await startFleet({
      transport: 'mqtt',
      devicesDir: dir,
      count: 6,
      concurrency: 2,
      progress,
      logger: { info: (l) => infos.push(l), warn: () => undefined },
    });
    try {
      expect(fleet.devices.map((d) => d.deviceId).sort()).toEqual([...ids].sort());
      expect(fleet.failures).toHaveLength(1);
      expect(fleet.failures[0].source).toBe(join(dir, 'device-5.json'));
      expect(fleet.failures[0].error.message).toContain('field "privateKey" is missing');
      const text = progress.text();
      expect(text).toContain('connecting MQTT devices 6/6: 5 connected, 1 failed');
      expect(text).toMatch(/fleet: 5\/6 MQTT devices connected, 1 failed in \d+\.\d s/);
      expect(text).toContain('1 x ');
      expect(new Set(broker.connects.map((c) => c.clientId))).toEqual(new Set(ids));

      // every device answers, quietly (no per-request lines without --verbose)
      for (const deviceId of ids) broker.publish(deviceId, `${deviceId}/get_status`, '{}');
      await broker.waitFor(() => broker.published.length === 5);
      expect(new Set(broker.published.map((p) => p.topic))).toEqual(new Set(ids.map((i) => `server/${i}/get_status`)));
      expect(infos).toEqual([]);
    } finally {
      await fleet.stop();
    }
    expect(fleet.devices.every((d) => !d.connected)).toBe(true);
    await broker.waitFor(() => ids.every((deviceId) => !broker.isConnected(deviceId)));
  });

  it('connects a slice of the folder, spread round robin over the given source addresses', async () => {
    const before = broker.connects.length;
    const fleet = await startFleet({
      transport: 'mqtt',
      devicesDir: dir,
      offset: 1,
      count: 3,
      localAddresses: ['127.0.0.2', '127.0.0.3'],
      progress: null,
      logger: { info: () => undefined, warn: () => undefined },
    });
    try {
      expect(fleet.failures).toEqual([]);
      expect(fleet.devices.map((d) => d.deviceId)).toEqual(ids.slice(1, 4));
      const connects = broker.connects.slice(before);
      const sourceOf = new Map(connects.map((c) => [c.clientId, c.remoteAddress]));
      expect(ids.slice(1, 4).map((deviceId) => sourceOf.get(deviceId))).toEqual([
        '127.0.0.2',
        '127.0.0.3',
        '127.0.0.2',
      ]);
    } finally {
      await fleet.stop();
    }
  });
});
