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

  it.each<[string[], object]>([
    [
      ['job', 'run', 'gpio', 'set', '3', '1', '--devices', 'lamp1,lamp2', '--devices', 'lamp3,lamp1'],
      {
        kind: 'job.run',
        operation: { kind: 'gpio.set', pin: 3, value: 1 },
        target: { devices: ['lamp1', 'lamp2', 'lamp3'] },
        wait: true,
      },
    ],
    [
      ['job', 'run', 'status', '--all', '--no-wait'],
      { operation: { kind: 'status' }, target: { selector: { all: true } }, wait: false },
    ],
    [['job', 'run', 'restart', '--online'], { target: { selector: { online: true } } }],
    [['job', 'run', 'restart', '--all', '--online'], { target: { selector: { all: true, online: true } } }],
    [
      ['job', 'run', '--tag', 'site=north', '--online', 'uart', '--', '-x'],
      { operation: { kind: 'uart', text: '-x' }, target: { selector: { tag: 'site=north', online: true } } },
    ],
    [
      ['job', 'run', 'rtc', 'set', '--all', '--concurrency', '100', '--rate', '2.5', '--abort-percent', '20'],
      {
        operation: { kind: 'rtc.set', epoch: undefined },
        concurrency: 100,
        ratePerSecond: 2.5,
        abort: { failedPercent: 20 },
      },
    ],
    [
      ['job', 'run', 'ip', '--all', '--abort-percent', '0', '--abort-min', '50'],
      { operation: { kind: 'network', field: 'ip' }, abort: { failedPercent: 0, minOutcomes: 50 } },
    ],
    [['job', 'show', 'abc123'], { kind: 'job.show', id: 'abc123', results: false }],
    [['job', 'show', 'abc123', '--results'], { kind: 'job.show', id: 'abc123', results: true, limit: undefined }],
    [['job', 'show', 'abc123', '--limit', '10'], { kind: 'job.show', results: true, limit: 10 }],
    [['job', 'cancel', 'abc123'], { kind: 'job.cancel', id: 'abc123' }],
    [['job', 'run', 'gpio', 'set', '--help'], { kind: 'help', topic: 'job run' }],
  ])('job: %j', (argv, expected) => {
    expect(parseCommandLine(argv).command).toEqual(expect.objectContaining(expected));
  });

  it('job run takes --timeout as the per-device timeout', () => {
    expect(parseCommandLine(['job', 'run', 'status', '--all', '--timeout', '250']).options.timeoutMs).toBe(250);
  });

  it.each<[string[], RegExp]>([
    [['job'], /"job" needs a subcommand: run, show, cancel/],
    [['job', 'run'], /"job run" needs an OPERATION/],
    [['job', 'run', 'fly', '--all'], /"fly" is not a device operation; operations: status, restart, gpio get/],
    [['job', 'run', 'gpio', 'toggle', '--all'], /"gpio toggle" is not a device operation/],
    [['job', 'run', 'demo', '--all'], /"demo" is not a device operation/],
    [['job', 'run', 'gpio', 'set', '3', '--all'], /"gpio set" needs 0\|1/],
    [['job', 'run', 'gpio', 'set', '3', '7', '--all'], /GPIO value must be 0 or 1, got "7"/],
    [['job', 'run', 'gpio', 'get', '300', '--all'], /PIN must be an integer from 0 to 255/],
    [['job', 'run', 'status', 'lamp', '--all'], /unexpected argument "lamp" for "status"/],
    [['job', 'run', 'status'], /"job run" needs its devices: --devices A,B, --all, --tag KEY=VALUE or --online/],
    [['job', 'run', 'status', '--devices', 'a', '--all'], /--devices and a selector .* exclude each other/],
    [['job', 'run', 'status', '--all', '--tag', 'a=b'], /--all and --tag exclude each other/],
    [['job', 'run', 'status', '--tag', 'site'], /--tag must be KEY=VALUE, got "site"/],
    [['job', 'run', 'status', '--devices', 'a,,b'], /--devices needs device names/],
    [['job', 'run', 'status', '--devices', 'bad name'], /invalid device name "bad name"/],
    [['job', 'run', 'status', '--all', '--concurrency', '0'], /--concurrency must be an integer from 1 to 1000/],
    [['job', 'run', 'status', '--all', '--concurrency', '1001'], /--concurrency must be an integer from 1 to 1000/],
    [['job', 'run', 'status', '--all', '--rate', '0'], /--rate must be a number from 0.1 to 10000, got "0"/],
    [['job', 'run', 'status', '--all', '--rate', 'fast'], /--rate must be a number/],
    [['job', 'run', 'status', '--all', '--abort-percent', '101'], /--abort-percent must be a number from 0 to 100/],
    [['job', 'run', 'status', '--all', '--abort-min', '5'], /--abort-min needs --abort-percent/],
    [['job', 'run', 'status', '--all', '--timeout', '50'], /--timeout must be an integer from 100 to 30000/],
    [['job', 'run', 'status', '--all', '--results'], /--results does not apply to "job run"/],
    [['job', 'show'], /"job show" needs ID/],
    [['job', 'show', 'a/b'], /invalid job id "a\/b"/],
    [['job', 'show', 'abc', '--limit', '0'], /--limit must be an integer from 1 to 100000/],
    [['job', 'cancel', 'abc', '--all'], /--all does not apply to "job cancel"/],
    [['status', 'lamp', '--all'], /--all does not apply to "status"/],
  ])('%j is a usage error', (argv, message) => {
    expect(usageError(argv).message).toMatch(message);
  });

  it("lists the device operations (the command table's, not demo or job run) where a job needs one", () => {
    expect(usageError(['job', 'run', 'fly', '--all']).message).toMatch(
      /operations: status, restart, gpio get, gpio set, rtc get, rtc set, mac get, mac set, ip, subnet, gateway, uart$/,
    );
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
