import { UsageError, formatTable, formatValue, parseBenchArgs, ratiosToFloor, toJsonReport } from './main';
import { isJobBody, jobMetrics } from './scenarios/job';
import { devicesOfClient } from './scenarios/throughput';

describe('parseBenchArgs', () => {
  it('runs every scenario with default sizes when none is named', () => {
    const options = parseBenchArgs([]);
    expect(options.scenarios).toEqual(['floor', 'latency', 'throughput', 'scale', 'registration', 'listing', 'job']);
    expect(options.sizes.job).toMatchObject({ devices: 10000, probes: 10, concurrency: 50, 'timeout-ms': 10000 });
    expect(options.sizes.latency).toEqual({ calls: 2000, warmup: 200, 'baseline-calls': 500 });
    expect(options.sizes.throughput).toMatchObject({ clients: 200, devices: 200, seconds: 20 });
    expect(options.sizes.scale).toMatchObject({ devices: 10000, concurrency: 200 });
    expect(options.sizes.registration).toMatchObject({ devices: 1000, concurrency: 16 });
    expect(options).toMatchObject({
      smoke: false,
      strict: false,
      build: true,
      keepDevices: false,
      registerConcurrency: 16,
    });
    expect(options.out).toBeUndefined();
    expect(options.profileDir).toBeUndefined();
  });

  it('applies a flag to the scenario named before it, in the given order', () => {
    const options = parseBenchArgs(['scale', '--devices', '2000', 'latency', '--calls=50']);
    expect(options.scenarios).toEqual(['scale', 'latency']);
    expect(options.sizes.scale.devices).toBe(2000);
    expect(options.sizes.latency.calls).toBe(50);
    expect(Object.keys(options.sizes)).toEqual(['scale', 'latency']);
  });

  it('reports the platform against floor as ratios when both ran', () => {
    expect(
      ratiosToFloor({
        floor: { p50Ms: 2, p99Ms: 4, roundTripsPerSec: 1000 },
        latency: { p50Ms: 5, p99Ms: 10 },
        throughput: { roundTripsPerSec: 400 },
      }),
    ).toEqual({ 'latency.p50': 2.5, 'latency.p99': 2.5, throughput: 0.4 });
    expect(ratiosToFloor({ latency: { p50Ms: 5, p99Ms: 10 } })).toBeUndefined();
    expect(ratiosToFloor({ floor: { failed: 1 }, latency: { p50Ms: 5, p99Ms: 10 } })).toBeUndefined();
  });

  it('accepts qualified flags anywhere', () => {
    const options = parseBenchArgs(['--scale.devices', '300', '--out', 'r.json', '--throughput.seconds=2.5']);
    expect(options.scenarios).toHaveLength(7);
    expect(options.sizes.scale.devices).toBe(300);
    expect(options.sizes.throughput.seconds).toBe(2.5);
    expect(options.out).toBe('r.json');
  });

  it('uses the smoke sizes with --smoke, unless a size is given, and turns on --strict', () => {
    const options = parseBenchArgs(['--smoke', 'scale', '--devices', '7', 'registration']);
    expect(options.sizes.scale.devices).toBe(7);
    expect(options.sizes.scale.concurrency).toBe(10);
    expect(options.sizes.registration.devices).toBe(5);
    expect(options.strict).toBe(true);
    expect(options.registerConcurrency).toBe(4);
  });

  it('reads the global options', () => {
    const options = parseBenchArgs([
      '--profile',
      '--no-build',
      '--keep-devices',
      '--strict',
      '--register-concurrency',
      '8',
      '--',
      'throughput',
    ]);
    expect(options).toMatchObject({
      profileDir: '',
      build: false,
      keepDevices: true,
      strict: true,
      registerConcurrency: 8,
      scenarios: ['throughput'],
    });
    expect(parseBenchArgs(['--profile-dir', '/tmp/p']).profileDir).toBe('/tmp/p');
    expect(parseBenchArgs(['-h']).help).toBe(true);
    expect(parseBenchArgs(['--help']).help).toBe(true);
  });

  it.each([
    [['nope'], /unknown scenario "nope"/],
    [['-x'], /unknown option -x/],
    [['--bogus'], /unknown option --bogus/],
    [
      ['--devices', '5'],
      /--devices is a flag of floor, throughput, scale, registration, listing and job: put it after the scenario name/,
    ],
    [['latency', '--devices', '5'], /unknown option --devices for scenario latency; its flags: --calls, --warmup/],
    [['latency', '--calls'], /--calls needs a value/],
    [['latency', '--calls', '--warmup', '3'], /--calls needs a value/],
    [['latency', '--calls', 'many'], /--calls must be a number/],
    [['latency', '--calls', '1.5'], /--calls must be an integer/],
    [['latency', '--calls', '0'], /--calls must be at least 1/],
    [['scale', '--timeout-ms', '99999'], /--timeout-ms must be at most 30000/],
    [['job', '--concurrency', '1001'], /--concurrency must be at most 1000/],
    [['job', '--probes', '0'], /--probes must be at least 1/],
    [['latency', 'latency'], /named twice/],
    [['latency', '--scale.devices', '3'], /not selected/],
    [['--nope.devices', '3'], /no scenario "nope"/],
    [['--out'], /--out needs a file name/],
    [['--smoke=yes'], /--smoke takes no value/],
    [['--register-concurrency', '0'], /at least 1/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('formatValue', () => {
  it('shows integers as they are and others with 1-3 decimals', () => {
    expect(formatValue(2000)).toBe('2000');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(1234.567)).toBe('1234.6');
    expect(formatValue(12.345)).toBe('12.35');
    expect(formatValue(0.1234)).toBe('0.123');
    expect(formatValue(Number.NaN)).toBe('n/a');
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('n/a');
  });
});

describe('formatTable', () => {
  it('prints one aligned Markdown table of scenario, metric, value', () => {
    const table = formatTable({
      latency: { p50Ms: 1.234, p99Ms: 9.5 },
      scale: { answered: 10000, 'rss.brokerMB': Number.NaN },
    });
    expect(table.split('\n')).toEqual([
      '| scenario | metric       | value |',
      '| -------- | ------------ | ----: |',
      '| latency  | p50Ms        |  1.23 |',
      '| latency  | p99Ms        |  9.50 |',
      '| scale    | answered     | 10000 |',
      '| scale    | rss.brokerMB |   n/a |',
    ]);
  });

  it('prints just the header for no results', () => {
    expect(formatTable({}).split('\n')).toHaveLength(2);
  });
});

describe('toJsonReport', () => {
  it('writes { scenario: { metric: number } } and leaves out values that are not finite numbers', () => {
    const json = toJsonReport({ latency: { p50Ms: 1.5, p99Ms: Number.NaN }, registration: { csrPerSec: 250 } });
    expect(JSON.parse(json)).toEqual({ latency: { p50Ms: 1.5 }, registration: { csrPerSec: 250 } });
    expect(json.endsWith('\n')).toBe(true);
  });
});

describe('devicesOfClient', () => {
  it('spreads D devices over C clients', () => {
    expect(devicesOfClient(0, 2, 5)).toEqual([0, 2, 4]);
    expect(devicesOfClient(1, 2, 5)).toEqual([1, 3]);
    expect(devicesOfClient(3, 200, 200)).toEqual([3]);
    expect(devicesOfClient(7, 10, 4)).toEqual([3]);
  });
});

describe('job scenario', () => {
  const job = {
    id: 'j1',
    state: 'completed',
    total: 1000,
    counts: { ok: 990, timeout: 10 },
    createdAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:00:04.000Z',
  };

  it("rates the job's commands over the gateway's own created → finished time, with each outcome", () => {
    expect(jobMetrics(job)).toEqual({
      jobSeconds: 4,
      commandsPerSec: 250,
      'job.total': 1000,
      'job.ok': 990,
      'job.timeout': 10,
    });
    expect(jobMetrics({ ...job, finishedAt: undefined }).commandsPerSec).toBeNaN();
    expect(jobMetrics({ ...job, state: 'cancelled', total: null, counts: {} })['job.total']).toBeNaN();
  });

  it('reads only job bodies', () => {
    expect(isJobBody(job)).toBe(true);
    expect(isJobBody({ ...job, state: 'queued', total: null })).toBe(true); // as POST /jobs answers
    expect(isJobBody({ ...job, total: undefined })).toBe(false);
    expect(isJobBody({ ...job, counts: null })).toBe(false);
    expect(isJobBody({ statusCode: 400, code: 'INVALID_JOB' })).toBe(false);
  });
});
