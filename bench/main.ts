/**
 * `npm run bench -- [scenario [--flag value]...]... [--out FILE] [--smoke] ...`
 *
 * Runs the named scenarios (all when none is named) against the real local
 * stack (bringing it up when no gateway answers, and stopping what it started),
 * prints progress on stderr and ONE table at the end on stdout; `--out FILE`
 * also writes `{ "<scenario>": { "<metric>": number } }`. See bench/README.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { FleetGroup } from './fleet';
import { HttpsClient } from './http';
import { profileFiles, summarizeProfileFile } from './profile-summary';
import { progress } from './progress';
import { countDeviceRecords } from './registry-size';
import { floorScenario } from './scenarios/floor';
import { jobScenario } from './scenarios/job';
import { latencyScenario } from './scenarios/latency';
import { listingScenario } from './scenarios/listing';
import { registrationScenario } from './scenarios/registration';
import { scaleScenario } from './scenarios/scale';
import { throughputScenario } from './scenarios/throughput';
import type { FlagSpec, Metrics, Scenario, ScenarioContext, Sizes } from './scenarios/types';
import { DevicePool, Session } from './session';
import { ROOT, Stack, loadDotEnv } from './stack';
import { Teardown } from './teardown';

/** In the order they run when none is named. */
export const SCENARIOS: readonly Scenario[] = [
  floorScenario,
  latencyScenario,
  throughputScenario,
  scaleScenario,
  registrationScenario,
  listingScenario,
  jobScenario,
];

/**
 * The platform's latency and throughput as multiples of `floor` (the broker and TLS alone),
 * measured in the same run: absolute numbers on a shared machine move by ±25 % within minutes.
 */
export function ratiosToFloor(results: Results): Metrics | undefined {
  const floor = results.floor;
  if (!floor || floor.failed) return undefined;
  const ratios: Metrics = {};
  const latency = results.latency;
  if (latency && !latency.failed) {
    ratios['latency.p50'] = latency.p50Ms / floor.p50Ms;
    ratios['latency.p99'] = latency.p99Ms / floor.p99Ms;
  }
  const throughput = results.throughput;
  if (throughput && !throughput.failed) ratios.throughput = throughput.roundTripsPerSec / floor.roundTripsPerSec;
  return Object.keys(ratios).length > 0 ? ratios : undefined;
}

/** scenario → metric → value, in insertion order. */
export type Results = Record<string, Metrics>;

export interface BenchOptions {
  /** In run order. */
  scenarios: string[];
  /** The sizes of every selected scenario (explicit flag, else --smoke value, else default). */
  sizes: Record<string, Sizes>;
  out?: string;
  smoke: boolean;
  /** Problems (errors, devices that did not answer) fail the run; always on with --smoke. */
  strict: boolean;
  profileDir?: string;
  build: boolean;
  keepDevices: boolean;
  registerConcurrency: number;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface GlobalFlag {
  name: string;
  value?: string;
  description: string;
}

const GLOBAL_FLAGS: readonly GlobalFlag[] = [
  { name: 'out', value: 'FILE', description: 'also write the results as JSON: {"<scenario>": {"<metric>": number}}' },
  { name: 'smoke', description: 'tiny sizes for every scenario (seconds in total; CI); implies --strict' },
  { name: 'strict', description: 'exit 1 when a scenario reports errors or devices that did not answer' },
  { name: 'profile', description: 'start the apps with node --cpu-prof and summarize where their CPU time went' },
  {
    name: 'profile-dir',
    value: 'DIR',
    description: 'where --profile writes the .cpuprofile files (implies --profile; default: a new temp folder)',
  },
  { name: 'no-build', description: 'do not rebuild the apps when starting the stack (uses dist/ as it is)' },
  { name: 'keep-devices', description: 'do not unregister the bench devices at the end' },
  {
    name: 'register-concurrency',
    value: 'N',
    description: 'registrations in flight when preparing pool devices (default 16, smoke 4)',
  },
  { name: 'help', description: 'this text' },
];

function parseNumber(raw: string | undefined, flag: string, spec: Pick<FlagSpec, 'integer' | 'min' | 'max'>): number {
  if (raw === undefined || raw === '' || raw.startsWith('--')) throw new UsageError(`${flag} needs a value`);
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(raw)}`);
  if (spec.integer && !Number.isInteger(value)) throw new UsageError(`${flag} must be an integer, got ${raw}`);
  if (value < spec.min) throw new UsageError(`${flag} must be at least ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && value > spec.max)
    throw new UsageError(`${flag} must be at most ${spec.max}, got ${raw}`);
  return value;
}

/**
 * Parses the command line. Scenario names select scenarios; a size flag applies
 * to the scenario named before it (`scale --devices 2000`), or is qualified
 * (`--scale.devices 2000`, usable anywhere). Values: `--flag value` or `--flag=value`.
 */
export function parseBenchArgs(argv: readonly string[], scenarios: readonly Scenario[] = SCENARIOS): BenchOptions {
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const selected: string[] = [];
  const explicit = new Map<string, Map<string, number>>();
  const options: BenchOptions = {
    scenarios: [],
    sizes: {},
    smoke: false,
    strict: false,
    build: true,
    keepDevices: false,
    registerConcurrency: Number.NaN,
    help: false,
  };
  let current: Scenario | undefined;
  const flagsOf = (scenario: Scenario): string => scenario.flags.map((f) => `--${f.name}`).join(', ');

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') continue;
    if (token === '-h') {
      options.help = true;
      continue;
    }
    if (!token.startsWith('--')) {
      const scenario = byName.get(token);
      if (!scenario) {
        throw new UsageError(
          token.startsWith('-')
            ? `unknown option ${token}`
            : `unknown scenario ${JSON.stringify(token)}; scenarios: ${scenarios.map((s) => s.name).join(', ')}`,
        );
      }
      if (selected.includes(token)) throw new UsageError(`scenario ${token} is named twice`);
      selected.push(token);
      current = scenario;
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq >= 0 ? eq : undefined);
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      i += 1;
      return argv[i];
    };

    const global = GLOBAL_FLAGS.find((flag) => flag.name === name);
    if (global) {
      if (!global.value && inline !== undefined) throw new UsageError(`--${name} takes no value`);
      switch (name) {
        case 'out': {
          const value = takeValue();
          if (value === undefined || value === '' || value.startsWith('--'))
            throw new UsageError('--out needs a file name');
          options.out = value;
          break;
        }
        case 'smoke':
          options.smoke = true;
          break;
        case 'strict':
          options.strict = true;
          break;
        case 'profile':
          options.profileDir ??= '';
          break;
        case 'profile-dir': {
          const value = takeValue();
          if (value === undefined || value === '' || value.startsWith('--'))
            throw new UsageError('--profile-dir needs a folder');
          options.profileDir = value;
          break;
        }
        case 'no-build':
          options.build = false;
          break;
        case 'keep-devices':
          options.keepDevices = true;
          break;
        case 'register-concurrency':
          options.registerConcurrency = parseNumber(takeValue(), '--register-concurrency', {
            integer: true,
            min: 1,
            max: 1000,
          });
          break;
        case 'help':
          options.help = true;
          break;
      }
      continue;
    }

    let scenario: Scenario | undefined;
    let flagName = name;
    const dot = name.indexOf('.');
    if (dot > 0) {
      scenario = byName.get(name.slice(0, dot));
      if (!scenario)
        throw new UsageError(`unknown option --${name}: no scenario ${JSON.stringify(name.slice(0, dot))}`);
      flagName = name.slice(dot + 1);
    } else {
      scenario = current;
      if (!scenario) {
        const owners = scenarios.filter((s) => s.flags.some((f) => f.name === name)).map((s) => s.name);
        throw new UsageError(
          owners.length > 0
            ? `--${name} is a flag of ${owners.length > 1 ? `${owners.slice(0, -1).join(', ')} and ${owners[owners.length - 1]}` : owners[0]}: put it after the scenario name (${owners[0]} --${name} N) or write --${owners[0]}.${name} N`
            : `unknown option --${name}; see --help`,
        );
      }
    }
    const spec = scenario.flags.find((f) => f.name === flagName);
    if (!spec)
      throw new UsageError(`unknown option --${name} for scenario ${scenario.name}; its flags: ${flagsOf(scenario)}`);
    const value = parseNumber(takeValue(), `--${name}`, spec);
    const flags = explicit.get(scenario.name) ?? new Map<string, number>();
    flags.set(flagName, value);
    explicit.set(scenario.name, flags);
  }

  options.scenarios = selected.length > 0 ? selected : scenarios.map((s) => s.name);
  for (const scenarioName of explicit.keys()) {
    if (!options.scenarios.includes(scenarioName)) {
      throw new UsageError(
        `flags are given for scenario ${scenarioName}, which is not selected (selected: ${options.scenarios.join(', ')})`,
      );
    }
  }
  for (const scenarioName of options.scenarios) {
    const scenario = byName.get(scenarioName) as Scenario;
    const sizes: Sizes = {};
    for (const spec of scenario.flags) {
      sizes[spec.name] = explicit.get(scenarioName)?.get(spec.name) ?? (options.smoke ? spec.smoke : spec.default);
    }
    options.sizes[scenarioName] = sizes;
  }
  if (Number.isNaN(options.registerConcurrency)) options.registerConcurrency = options.smoke ? 4 : 16;
  if (options.smoke) options.strict = true;
  return options;
}

export function usage(scenarios: readonly Scenario[] = SCENARIOS): string {
  const lines = [
    'usage: npm run bench -- [SCENARIO [--FLAG N]...]... [OPTIONS]',
    '',
    'Runs the named scenarios (all, in this order, when none is named) against the local stack, over TLS',
    'everywhere. When no gateway answers GET /health on https://localhost:$PORT, the stack is brought up',
    'and stopped at the end. Progress goes to stderr; one table of results to stdout.',
    '',
    'Scenarios and their flags (put a flag after its scenario, or write --SCENARIO.FLAG anywhere):',
  ];
  for (const scenario of scenarios) {
    lines.push(`  ${scenario.name}: ${scenario.summary}`);
    for (const flag of scenario.flags) {
      lines.push(`    --${flag.name.padEnd(20)} ${flag.description} (default ${flag.default}, smoke ${flag.smoke})`);
    }
  }
  lines.push('', 'Options:');
  for (const flag of GLOBAL_FLAGS) {
    const name = `--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
    lines.push(`  ${name.padEnd(28)} ${flag.description}`);
  }
  lines.push(
    '',
    'Examples:',
    '  npm run bench                                   # everything, full sizes',
    '  npm run bench -- --smoke                         # everything, tiny sizes (CI)',
    '  npm run bench -- latency --calls 500 throughput --clients 50 --seconds 10',
    '  npm run bench -- --scale.devices 2000 --out results.json',
    '  npm run bench -- throughput --profile             # CPU profiles of gateway and device-command',
  );
  return lines.join('\n');
}

/** A metric value for the table: integers as they are, others with 1-3 decimals; n/a when not a finite number. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** One table, as Markdown: scenario | metric | value (value right-aligned). */
export function formatTable(results: Results): string {
  const rows: [string, string, string][] = [];
  for (const [scenario, metrics] of Object.entries(results)) {
    for (const [metric, value] of Object.entries(metrics)) rows.push([scenario, metric, formatValue(value)]);
  }
  const header: [string, string, string] = ['scenario', 'metric', 'value'];
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c].length), 3));
  const line = (cells: [string, string, string]): string =>
    `| ${cells[0].padEnd(widths[0])} | ${cells[1].padEnd(widths[1])} | ${cells[2].padStart(widths[2])} |`;
  const rule = `| ${'-'.repeat(widths[0])} | ${'-'.repeat(widths[1])} | ${'-'.repeat(widths[2] - 1)}: |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The --out document: `{ "<scenario>": { "<metric>": number } }`; metrics without a finite value are left out. */
export function toJsonReport(results: Results): string {
  const report: Record<string, Record<string, number>> = {};
  for (const [scenario, metrics] of Object.entries(results)) {
    report[scenario] = {};
    for (const [metric, value] of Object.entries(metrics)) if (Number.isFinite(value)) report[scenario][metric] = value;
  }
  return `${JSON.stringify(report, null, 2)}\n`;
}

function describeSizes(sizes: Sizes): string {
  return Object.entries(sizes)
    .map(([name, value]) => `--${name} ${value}`)
    .join(' ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n(npm run bench -- --help lists scenarios and flags)\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  loadDotEnv();

  const abort = new AbortController();
  const teardown = new Teardown();
  const results: Results = {};
  const problems: string[] = [];
  const failures: string[] = [];
  /** The table (and --out file) of the scenarios that finished, also when interrupted. */
  const report = async (): Promise<void> => {
    process.stdout.write(`${formatTable(results)}\n`);
    if (options.out) {
      await writeFile(path.resolve(options.out), toJsonReport(results));
      progress(`results written to ${path.resolve(options.out)}`);
    }
  };
  let exitCodeOnSignal = 0;
  let shuttingDown: Promise<void> | undefined;
  /** SIGINT/SIGTERM or an unexpected error: stop launching work, clean up, exit with `code`. */
  const shutdown = (reason: string, code: number): void => {
    if (exitCodeOnSignal !== 0) {
      progress(`${reason} again: exiting without finishing the clean-up`);
      process.exit(code);
    }
    exitCodeOnSignal = code;
    progress(`${reason}: stopping and cleaning up (again to quit at once)`);
    abort.abort();
    shuttingDown = teardown
      .run()
      .then(async () => {
        if (Object.keys(results).length > 0) {
          progress('results of the scenarios that finished:');
          await report();
        }
      })
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => shutdown('SIGINT', 130));
  process.on('SIGTERM', () => shutdown('SIGTERM', 143));
  process.on('unhandledRejection', (error: unknown) => {
    process.stderr.write(
      `bench: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    shutdown('unexpected error', 1);
  });

  let profileDir: string | undefined;
  if (options.profileDir !== undefined) {
    profileDir = path.resolve(
      options.profileDir ||
        path.join(os.tmpdir(), `iotcloud-bench-profile-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    );
  }

  try {
    const stack = await Stack.ensure({ profileDir, build: options.build, signal: abort.signal });
    teardown.add('stopping the stack', () => stack.stop());

    const work = await mkdtemp(path.join(os.tmpdir(), 'iotcloud-bench-'));
    teardown.add(`removing ${work}`, () => rm(work, { recursive: true, force: true }));

    const client = new HttpsClient(stack.baseUrl, stack.caPem);
    teardown.add('closing the HTTPS client', () => client.close());
    const session = await Session.open(client);
    progress(`bench user ${session.username}; device registrations in ${work}`);
    const pool = new DevicePool(session, path.join(work, 'devices'), options.registerConcurrency);
    teardown.add('unregistering the bench devices', async () => {
      if (options.keepDevices || abort.signal.aborted) {
        if (pool.registeredNames.size > 0) {
          progress(`leaving ${pool.registeredNames.size} bench device(s) of user ${session.username} registered`);
        }
        return;
      }
      const failed = await pool.unregisterAll();
      if (failed > 0) progress(`clean-up: ${failed} device(s) could not be unregistered`);
    });

    const context: ScenarioContext = {
      stack,
      session,
      pool,
      signal: abort.signal,
      trackDevice: (name) => pool.registeredNames.add(name),
      startFleet: async (count, fleetOptions = {}) => {
        const started = await FleetGroup.start(
          {
            devicesDir: pool.dir,
            count,
            concurrency: fleetOptions.concurrency ?? 200,
            connectTimeoutMs: fleetOptions.connectTimeoutMs ?? 30_000,
            readyTimeoutMs: fleetOptions.readyTimeoutMs ?? 10 * 60_000,
            signal: abort.signal,
          },
          fleetOptions.perProcess,
        );
        teardown.add('stopping the simulator process', () => started.fleet.stop());
        if (fleetOptions.requireAll !== false && started.ready.connected < count) {
          await started.fleet.stop();
          throw new Error(
            `only ${started.ready.connected} of ${count} simulated devices connected:\n${started.ready.failureSummary.join('\n')}`,
          );
        }
        return started;
      },
    };

    for (const name of options.scenarios) {
      if (abort.signal.aborted) break;
      const scenario = SCENARIOS.find((s) => s.name === name) as Scenario;
      const sizes = options.sizes[name];
      progress(`== ${name}: ${scenario.summary} (${describeSizes(sizes)})`);
      const began = Date.now();
      const records = await countDeviceRecords();
      try {
        const result = await scenario.run(context, sizes);
        // Every device lookup scans the registry on FerretDB/SQLite: its size is part of the result.
        results[name] = {
          ...result.metrics,
          ...(records === undefined ? {} : { 'registry.deviceRecordsBefore': records }),
        };
        problems.push(...result.problems);
        progress(`== ${name} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      } catch (error) {
        if (abort.signal.aborted) break;
        failures.push(`${name}: ${messageOf(error)}`);
        results[name] = { ...(results[name] ?? {}), failed: 1 };
        progress(`== ${name} FAILED: ${messageOf(error)}`);
      }
    }
    const ratios = ratiosToFloor(results);
    if (ratios) results.vsFloor = ratios;
  } catch (error) {
    failures.push(messageOf(error));
    progress(`error: ${messageOf(error)}`);
  } finally {
    await teardown.run();
  }
  // Interrupted: the signal handler reports what finished and exits.
  if (shuttingDown) await shuttingDown;
  if (abort.signal.aborted) return exitCodeOnSignal || 130;

  if (profileDir) {
    try {
      for (const file of profileFiles(profileDir)) process.stderr.write(`\n${summarizeProfileFile(file)}\n`);
      progress(`CPU profiles in ${profileDir} (open them in Chrome DevTools > Performance, or speedscope)`);
    } catch (error) {
      progress(`could not summarize the CPU profiles in ${profileDir}: ${messageOf(error)}`);
    }
  }

  await report();
  for (const problem of problems) progress(`${options.strict ? 'FAIL' : 'warning'}: ${problem}`);
  for (const failure of failures) progress(`FAIL: ${failure}`);
  if (failures.length > 0 || (options.strict && problems.length > 0)) return 1;
  return 0;
}

if (require.main === module) {
  process.chdir(ROOT);
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
