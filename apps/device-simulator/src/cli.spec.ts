import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMqttBroker } from '../test/fake-mqtt-broker';
import { TestPki, createTestDevice, createTestPki } from '../test/test-pki';
import { CliIo, UsageError, parseCliArgs, runCli } from './cli';

jest.setTimeout(30_000);

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

function io(shutdown = new AbortController()): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    shutdownSignal: shutdown.signal,
  };
}

describe('parseCliArgs', () => {
  it('reads a single-device command', () => {
    const command = parseCliArgs([
      '--transport',
      'amqp',
      '--device',
      'dev.json',
      '--host',
      'broker',
      '--amqp-port',
      '15671',
      '--restart-delay',
      '0',
      '--reply-delay',
      '250',
      '--insecure',
      '--username',
      'u',
      '--password',
      'p',
      '--mac',
      '44:D5:F2:00:10:2A',
      '--ip',
      '10.0.0.2',
      '--bad-reply',
      'get_gpio,get_rtc',
      '--bad-reply',
      'get_ip',
      '--silent',
      'write_uart',
      '--non-json-reply',
      'get_mac',
    ]);
    expect(command).toEqual({
      kind: 'single',
      transport: 'amqp',
      devicePath: 'dev.json',
      mac: '44:d5:f2:00:10:2a',
      verbose: false,
      overrides: {
        deviceId: undefined,
        certFile: undefined,
        keyFile: undefined,
        caFile: undefined,
        host: 'broker',
        mqttPort: undefined,
        amqpPort: 15671,
      },
      device: {
        insecure: true,
        username: 'u',
        password: 'p',
        restartDelayMs: 0,
        replyDelayMs: 250,
        ip: '10.0.0.2',
        badReplyApis: ['get_gpio', 'get_rtc', 'get_ip'],
        silentApis: ['write_uart'],
        nonJsonReplyApis: ['get_mac'],
      },
    });
  });

  it('defaults to MQTT and reads --mqtt-version', () => {
    expect(parseCliArgs(['--device', 'd.json', '--mqtt-version', '3'])).toMatchObject({
      kind: 'single',
      transport: 'mqtt',
      device: { mqttVersion: 3 },
    });
  });

  it('reads a fleet command', () => {
    expect(parseCliArgs(['--count', '10000', '--devices-dir', 'devs', '--ca', 'ca.pem', '--verbose'])).toEqual({
      kind: 'fleet',
      transport: 'mqtt',
      devicesDir: 'devs',
      count: 10000,
      concurrency: 200,
      verbose: true,
      device: {},
      overrides: { host: undefined, mqttPort: undefined, amqpPort: undefined, caFile: 'ca.pem' },
    });
  });

  it('--help wins', () => {
    expect(parseCliArgs(['--help', '--count', 'x'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--device'], "Option '--device <value>' argument missing"],
    [['dev.json'], "Unexpected argument 'dev.json'"],
    [['--device', 'd', '--transport', 'http'], '--transport must be mqtt or amqp, got "http"'],
    [['--device', 'd', '--mqtt-version', '6'], '--mqtt-version must be an integer from 3 to 5, got "6"'],
    [
      ['--device', 'd', '--transport', 'amqp', '--mqtt-version', '4'],
      '--mqtt-version only applies to --transport mqtt',
    ],
    [['--device', 'd', '--mqtt-port', '0'], '--mqtt-port must be an integer from 1 to 65535, got "0"'],
    [['--device', 'd', '--amqp-port', '5671x'], '--amqp-port must be an integer from 1 to 65535, got "5671x"'],
    [['--device', 'd', '--reply-delay=-5'], '--reply-delay must be an integer >= 0, got "-5"'],
    [['--device', 'd', '--reply-delay', '-5'], "Option '--reply-delay' argument is ambiguous."],
    [['--device', 'd', '--restart-delay', '1.5'], '--restart-delay must be an integer >= 0, got "1.5"'],
    [['--device', 'd', '--password', 'p'], '--password needs --username'],
    [['--device', 'd', '--silent', 'get_gpio,reboot'], '--silent: unknown api "reboot"'],
    [['--device', 'd', '--mac', 'zz:zz'], '--mac "zz:zz" must be a MAC address'],
    [['--device', 'd', '--ip', '10.0.0.256'], '--ip "10.0.0.256" must be a dotted-quad IPv4 address'],
    [['--device', 'd', '--host', ''], '--host must not be empty'],
    [['--device', 'd', '--concurrency', '5'], '--concurrency only applies to fleet mode'],
    [['--count', '5'], '--count needs --devices-dir DIR'],
    [['--devices-dir', 'x'], '--devices-dir needs --count N'],
    [['--count', '0', '--devices-dir', 'x'], '--count must be an integer >= 1, got "0"'],
    [
      ['--count', '2', '--devices-dir', 'x', '--device', 'd', '--mac', '02:00:00:00:00:01'],
      '--device, --mac cannot be used with --count',
    ],
    [[], 'no device: give --device FILE'],
  ])('%j -> %s', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });
});

describe('runCli', () => {
  it('bad flags: a message, exit code 2, no stack trace', async () => {
    const streams = io();
    expect(await runCli(['--count', 'lots', '--devices-dir', 'x'], streams)).toBe(2);
    const text = streams.err.join('');
    expect(text).toBe(
      'device-simulator: --count must be an integer >= 1, got "lots"\nRun with --help for the options.\n',
    );
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('--help prints the usage on stdout, exit code 0', async () => {
    const streams = io();
    expect(await runCli(['--help'], streams)).toBe(0);
    expect(streams.out.join('')).toContain('--devices-dir DIR');
    expect(streams.err).toEqual([]);
  });

  describe('with files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('an unusable device file: the problems, exit code 2', async () => {
      await writeFile(join(dir, 'get-response.json'), JSON.stringify({ deviceId: '3f9c2a1e7b4d4c0e9a8f6b5d4c3b2a19' }));
      const streams = io();
      expect(await runCli(['--device', join(dir, 'get-response.json')], streams)).toBe(2);
      const text = streams.err.join('');
      expect(text).toContain('is not a usable device file');
      expect(text).toContain('field "privateKey" is missing');
      expect(text).not.toMatch(/\n\s+at /);
    });

    it('a devices dir with too few files: exit code 2', async () => {
      const streams = io();
      expect(await runCli(['--count', '3', '--devices-dir', dir], streams)).toBe(2);
      expect(streams.err.join('')).toContain('holds 1 device file(s) (*.json), fewer than --count 3');
    });
  });
});

describe('runCli against a fake MQTT broker', () => {
  let pki: TestPki;
  let broker: FakeMqttBroker;
  let dir: string;
  let port: number;

  beforeAll(async () => {
    pki = await createTestPki();
    broker = new FakeMqttBroker({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca.certificatePem });
    port = await broker.listen();
    dir = await mkdtemp(join(tmpdir(), 'sim-run-'));
  });
  afterAll(async () => {
    await broker?.close();
    await pki?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs one device from its registration file, logs each request, and exits 0 on shutdown', async () => {
    const device = await createTestDevice(pki.ca);
    const file = join(dir, 'bench.json');
    await writeFile(
      file,
      JSON.stringify({
        deviceId: device.deviceId,
        name: 'bench',
        certificate: device.certificatePem,
        privateKey: device.privateKeyPem,
        caCertificate: pki.ca.certificatePem,
        mqtt: { host: 'localhost', port: 1 },
        amqp: { host: 'localhost', port: 1 },
      }),
    );
    const shutdown = new AbortController();
    const streams = io(shutdown);
    const exit = runCli(['--device', file, '--mqtt-port', String(port), '--ip', '10.9.8.7'], streams);
    await broker.waitFor(() => broker.isConnected(device.deviceId));
    const deadline = Date.now() + 5000;
    while (!streams.out.join('').includes('answering requests') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    broker.publish(device.deviceId, `${device.deviceId}/get_ip`, '{}');
    await broker.waitFor(() => broker.published.length === 1);
    while (!streams.out.join('').includes('get_ip') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    shutdown.abort();
    expect(await exit).toBe(0);
    const out = streams.out.join('');
    expect(out).toMatch(/\[sim bench\] get_ip \{\} -> \{"value":"10\.9\.8\.7"\} \(\d+\.\d ms\)\n/);
    expect(out).toContain(`[sim bench] connected to mqtts://localhost:${port} as ${device.deviceId}`);
    expect(out).toContain('[sim bench] disconnected');
    await broker.waitFor(() => !broker.isConnected(device.deviceId));
  });

  it('exits 1 with the reason when the broker refuses the device', async () => {
    const device = await createTestDevice(pki.ca);
    const write = (name: string, text: string): Promise<void> => writeFile(join(dir, name), text);
    await Promise.all([
      write('c.pem', device.certificatePem),
      write('k.pem', device.privateKeyPem),
      write('ca.pem', pki.ca.certificatePem),
    ]);
    broker.connackCode = 5;
    try {
      const streams = io();
      const argv = [
        '--id',
        device.deviceId,
        '--cert',
        join(dir, 'c.pem'),
        '--key',
        join(dir, 'k.pem'),
        '--ca',
        join(dir, 'ca.pem'),
      ];
      expect(await runCli([...argv, '--mqtt-port', String(port)], streams)).toBe(1);
      expect(streams.err.join('')).toContain('connection refused: not authorized');
      expect(streams.err.join('')).not.toMatch(/\n\s+at /);
    } finally {
      broker.connackCode = 0;
    }
  });
});
