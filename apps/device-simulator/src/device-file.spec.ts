import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceFileError, loadDeviceFile, parseDeviceFileText, resolveDeviceConfig } from './device-file';

const ID = '3f9c2a1e7b4d4c0e9a8f6b5d4c3b2a19';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';
/** A throwaway key made for this run: the repository holds no key material, not even fake. */
const KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

/** The body of POST /devices, as the gateway returns it. */
function registration(): Record<string, unknown> {
  return {
    deviceId: ID,
    name: 'bench-1',
    keyOrigin: 'rsa',
    certificate: CERT,
    certificateSerial: '01',
    certificateFingerprint: 'ab',
    notBefore: '2025-01-01T00:00:00.000Z',
    notAfter: '2026-01-01T00:00:00.000Z',
    createdAt: '2025-01-01T00:00:00.000Z',
    mqtt: { host: 'iot.example', port: 8883 },
    amqp: { host: 'iot.example', port: 5671 },
    privateKey: KEY,
    caCertificate: CA,
  };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DeviceFileError);
    return (error as DeviceFileError).problems;
  }
  throw new Error('expected a DeviceFileError');
}

describe('resolveDeviceConfig', () => {
  it('reads a registration response', () => {
    expect(resolveDeviceConfig(registration(), 'dev.json')).toEqual({
      deviceId: ID,
      name: 'bench-1',
      certificatePem: CERT,
      privateKeyPem: KEY,
      caPem: CA,
      mqtt: { host: 'iot.example', port: 8883 },
      amqp: { host: 'iot.example', port: 5671 },
      source: 'dev.json',
    });
  });

  it('explains that the private key is only in the registration response', () => {
    const body = registration();
    delete body.privateKey;
    const problems = problemsOf(() => resolveDeviceConfig(body, 'dev.json'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^field "privateKey" is missing/);
    expect(problems[0]).toContain('only once, in the response of the registration (POST /devices)');
    expect(problems[0]).toContain('--key FILE');
  });

  it.each([
    ['deviceId', /^field "deviceId" is missing.*--id/],
    ['certificate', /^field "certificate" is missing.*--cert FILE/],
    ['caCertificate', /^field "caCertificate" is missing.*--ca FILE/],
    ['mqtt', /^field "mqtt" is missing.*--host and --mqtt-port/],
    ['amqp', /^field "amqp" is missing.*--host and --amqp-port/],
  ])('names the missing field %s', (field, pattern) => {
    const body = registration();
    delete body[field];
    const problems = problemsOf(() => resolveDeviceConfig(body, 'dev.json'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it('lists every problem at once, in the message too', () => {
    let message = '';
    try {
      resolveDeviceConfig({ deviceId: 'nope', certificate: 'not a pem', mqtt: { host: '', port: 70000 } }, 'x.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^x\.json is not a usable device file:\n/);
    expect(message).toContain('field "deviceId" must be 32 lowercase hex characters, got "nope"');
    expect(message).toContain('field "certificate" must be a PEM certificate string');
    expect(message).toContain('field "privateKey" is missing');
    expect(message).toContain('field "caCertificate" is missing');
    expect(message).toContain('field "mqtt.host" must be a non-empty string');
    expect(message).toContain('field "mqtt.port" must be an integer from 1 to 65535');
    expect(message).toContain('field "amqp" is missing');
  });

  it('rejects something that is not an object', () => {
    expect(() => resolveDeviceConfig([registration()], 'list.json')).toThrow(/expected a JSON object.*got an array/);
    expect(() => resolveDeviceConfig('text', 'x.json')).toThrow(/got string/);
  });

  it('flags override the file and fill in what it lacks', () => {
    const body = registration();
    delete body.privateKey;
    delete body.caCertificate;
    delete body.mqtt;
    const other = '0123456789abcdef0123456789abcdef';
    const config = resolveDeviceConfig(body, 'dev.json', {
      deviceId: other,
      privateKeyPem: KEY,
      caPem: CA,
      host: 'localhost',
      mqttPort: 18883,
    });
    expect(config.deviceId).toBe(other);
    expect(config.mqtt).toEqual({ host: 'localhost', port: 18883 });
    expect(config.amqp).toEqual({ host: 'localhost', port: 5671 });
    expect(config.privateKeyPem).toBe(KEY);
  });

  it('checks overrides too', () => {
    expect(problemsOf(() => resolveDeviceConfig(registration(), 'd', { deviceId: 'XYZ' }))).toEqual([
      '--id must be 32 lowercase hex characters, got "XYZ"',
    ]);
    expect(problemsOf(() => resolveDeviceConfig(registration(), 'd', { privateKeyPem: CERT }))).toEqual([
      '--key FILE file does not contain a PEM private key',
    ]);
  });

  it('without a file, needs --id, --cert, --key and --ca and defaults to the local broker', () => {
    const problems = problemsOf(() => resolveDeviceConfig(undefined, 'flags', {}));
    expect(problems).toEqual([
      '--id is required when no device file (--device) is given',
      '--cert FILE is required when no device file (--device) is given',
      '--key FILE is required when no device file (--device) is given',
      '--ca FILE is required when no device file (--device) is given',
    ]);
    const config = resolveDeviceConfig(undefined, 'flags', {
      deviceId: ID,
      certificatePem: CERT,
      privateKeyPem: KEY,
      caPem: CA,
    });
    expect(config.mqtt).toEqual({ host: 'localhost', port: 8883 });
    expect(config.amqp).toEqual({ host: 'localhost', port: 5671 });
    expect(config.name).toBeUndefined();
  });
});

describe('loadDeviceFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads a saved response and reads override files', async () => {
    const body = registration();
    delete body.privateKey;
    await writeFile(join(dir, 'dev.json'), JSON.stringify(body));
    await writeFile(join(dir, 'key.pem'), KEY);
    const config = await loadDeviceFile(join(dir, 'dev.json'), { keyFile: join(dir, 'key.pem'), amqpPort: 15671 });
    expect(config.privateKeyPem).toBe(KEY);
    expect(config.amqp).toEqual({ host: 'iot.example', port: 15671 });
    expect(config.source).toBe(join(dir, 'dev.json'));
  });

  it('says which file cannot be read', async () => {
    await expect(loadDeviceFile(join(dir, 'missing.json'))).rejects.toThrow(
      `cannot read device file ${JSON.stringify(join(dir, 'missing.json'))}: no such file`,
    );
    await expect(loadDeviceFile(undefined, { deviceId: ID, certFile: join(dir, 'nope.pem') })).rejects.toThrow(
      /cannot read --cert file ".*nope\.pem": no such file/,
    );
  });

  it('reports a file that is not JSON', async () => {
    await writeFile(join(dir, 'bad.json'), '{ deviceId: ');
    await expect(loadDeviceFile(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON/);
    expect(() => parseDeviceFileText('', 'empty.json')).toThrow(DeviceFileError);
  });
});
