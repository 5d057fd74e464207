import { parseCommandLine, wantsJson } from './args';
import { ExitCode, UsageError, exitCodeFor } from './errors';

/** The UsageError thrown for argv (fails the test if none is). */
function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect(exitCodeFor(error)).toBe(ExitCode.usage);
    return error as UsageError;
  }
  throw new Error(`no usage error for: ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it.each<[string[], object]>([
    [['signup', 'alice', '--password', 'pw123456'], { kind: 'signup', username: 'alice', password: 'pw123456' }],
    [['login', 'alice'], { kind: 'login', username: 'alice', password: undefined }],
    [['logout'], { kind: 'logout' }],
    [['devices', 'register', 'lamp'], { kind: 'devices.register', name: 'lamp', outDir: './devices' }],
    [
      ['devices', 'register', 'lamp', '--key-type', 'ec', '--out', '/tmp/x'],
      { kind: 'devices.register', name: 'lamp', keyType: 'ec', outDir: '/tmp/x' },
    ],
    [
      ['devices', 'register', 'lamp', '--csr', 'lamp.csr'],
      { kind: 'devices.register', name: 'lamp', csrFile: 'lamp.csr' },
    ],
    [
      ['devices', 'renew', 'lamp', '--grace', '3600'],
      { kind: 'devices.renew', name: 'lamp', outDir: './devices', graceSeconds: 3600 },
    ],
    [['devices', 'list'], { kind: 'devices.list' }],
    [['devices', 'show', 'lamp'], { kind: 'devices.show', name: 'lamp' }],
    [['devices', 'unregister', 'lamp'], { kind: 'devices.unregister', name: 'lamp' }],
    [['status', 'lamp'], { kind: 'status', name: 'lamp' }],
    [['restart', 'lamp'], { kind: 'restart', name: 'lamp' }],
    [['gpio', 'get', 'lamp', '5'], { kind: 'gpio.get', name: 'lamp', pin: 5 }],
    [['gpio', 'set', 'lamp', '255', '1'], { kind: 'gpio.set', name: 'lamp', pin: 255, value: 1 }],
    [['gpio', 'set', 'lamp', '0', '0'], { kind: 'gpio.set', name: 'lamp', pin: 0, value: 0 }],
    [['rtc', 'get', 'lamp'], { kind: 'rtc.get', name: 'lamp' }],
    [['rtc', 'set', 'lamp'], { kind: 'rtc.set', name: 'lamp', epoch: undefined }],
    [['rtc', 'set', 'lamp', '1700000000'], { kind: 'rtc.set', name: 'lamp', epoch: 1700000000 }],
    [['mac', 'get', 'lamp'], { kind: 'mac.get', name: 'lamp' }],
    [['mac', 'set', 'lamp', 'AA:BB:CC:DD:EE:0F'], { kind: 'mac.set', name: 'lamp', mac: 'aa:bb:cc:dd:ee:0f' }],
    [['ip', 'lamp'], { kind: 'network', field: 'ip', name: 'lamp' }],
    [['subnet', 'lamp'], { kind: 'network', field: 'subnet', name: 'lamp' }],
    [['gateway', 'lamp'], { kind: 'network', field: 'gateway', name: 'lamp' }],
    [['uart', 'lamp', 'hello world'], { kind: 'uart', name: 'lamp', text: 'hello world' }],
    [['uart', 'lamp', '--', '--not-a-flag'], { kind: 'uart', name: 'lamp', text: '--not-a-flag' }],
    [['demo', 'lamp'], { kind: 'demo', name: 'lamp', pin: 0 }],
    [['demo', 'lamp', '--pin', '7'], { kind: 'demo', name: 'lamp', pin: 7 }],
    [['help'], { kind: 'help', topic: undefined }],
    [['help', 'gpio', 'set'], { kind: 'help', topic: 'gpio set' }],
    [['--help'], { kind: 'help' }],
    [['gpio', '--help'], { kind: 'help', topic: 'gpio' }],
    [['gpio', 'set', '-h'], { kind: 'help', topic: 'gpio set' }],
    [['--version'], { kind: 'version' }],
  ])('%j', (argv, expected) => {
    expect(parseCommandLine(argv).command).toEqual(expect.objectContaining(expected));
  });

  it('reads global options anywhere on the line', () => {
    const { command, options } = parseCommandLine([
      '--json',
      'gpio',
      'get',
      '--url',
      'https://gw:9443',
      'lamp',
      '3',
      '--ca',
      'ca.pem',
      '--timeout',
      '250',
      '--insecure',
    ]);
    expect(command).toEqual({ kind: 'gpio.get', name: 'lamp', pin: 3 });
    expect(options).toEqual({ url: 'https://gw:9443', ca: 'ca.pem', insecure: true, json: true, timeoutMs: 250 });
  });

  it('defaults to human output, verified TLS and no timeout', () => {
    expect(parseCommandLine(['devices', 'list']).options).toEqual({
      url: undefined,
      ca: undefined,
      insecure: false,
      json: false,
    });
  });

  it.each<[string[], RegExp]>([
    [[], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['devices'], /"devices" needs a subcommand: register, renew, list, show, unregister/],
    [['devices', 'destroy', 'x'], /unknown command "devices destroy"/],
    [['help', 'nope'], /unknown command "nope"/],
    [['status'], /"status" needs NAME/],
    [['gpio', 'set', 'lamp'], /"gpio set" needs PIN and 0\|1/],
    [['status', 'lamp', 'extra'], /unexpected argument "extra" for "status"/],
    [['status', 'lamp', '--bogus'], /Unknown option '--bogus'/],
    [['status', 'lamp', '--url'], /--url/],
    [['status', 'bad name!'], /invalid device name "bad name!"/],
    [['status', 'x'.repeat(65)], /invalid device name/],
    [['devices', 'show', '../etc'], /invalid device name "..\/etc"/],
    [['gpio', 'get', 'lamp', '256'], /PIN must be an integer from 0 to 255, got "256"/],
    [['gpio', 'get', 'lamp', '-1'], /Unknown option '-1'|PIN/],
    [['gpio', 'get', 'lamp', '1.5'], /PIN must be an integer/],
    [['gpio', 'set', 'lamp', '5', '2'], /GPIO value must be 0 or 1, got "2"/],
    [['gpio', 'set', 'lamp', '5', 'on'], /GPIO value must be 0 or 1/],
    [['rtc', 'set', 'lamp', 'yesterday'], /EPOCH must be an integer from 0 to 4294967295/],
    [['rtc', 'set', 'lamp', '4294967296'], /EPOCH must be an integer/],
    [['mac', 'set', 'lamp', 'aa:bb:cc'], /MAC must be six hex octets/],
    [['uart', 'lamp', 'x'.repeat(1025)], /TEXT must be at most 1024 characters/],
    [['status', 'lamp', '--timeout', '99'], /--timeout must be an integer from 100 to 30000, got "99"/],
    [['status', 'lamp', '--timeout', '30001'], /--timeout must be an integer from 100 to 30000/],
    [['status', 'lamp', '--timeout', 'soon'], /--timeout must be an integer/],
    [['devices', 'list', '--timeout', '500'], /--timeout does not apply to "devices list"/],
    [['status', 'lamp', '--password', 'x'], /--password does not apply to "status"/],
    [['login', 'alice', '--key-type', 'rsa'], /--key-type does not apply to "login"/],
    [['devices', 'register', 'lamp', '--key-type', 'dsa'], /--key-type must be rsa or ec, got "dsa"/],
    [['devices', 'register', 'lamp', '--key-type', 'ec', '--csr', 'x.csr'], /--key-type and --csr exclude each other/],
    [['login', 'alice', '--password', ''], /--password must not be empty/],
    [['demo', 'lamp', '--pin', '300'], /PIN must be an integer from 0 to 255/],
    [['logout', 'now'], /unexpected argument "now" for "logout"/],
  ])('%j is a usage error', (argv, message) => {
    expect(usageError(argv).message).toMatch(message);
  });

  it('attaches the usage line of the command concerned', () => {
    expect(usageError(['gpio', 'set', 'lamp', '5']).usage).toBe('usage: iotcloud gpio set NAME PIN 0|1');
  });
});

describe('wantsJson', () => {
  it('finds --json even when the rest does not parse, but not after --', () => {
    expect(wantsJson(['bogus', '--json', '--what'])).toBe(true);
    expect(wantsJson(['uart', 'lamp', '--', '--json'])).toBe(false);
    expect(wantsJson(['status', 'lamp'])).toBe(false);
  });
});
