import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AmqpDevice, AmqpDeviceOptions } from './amqp-device';
import { ConnectedDevice } from './connected-device';
import { messageOf } from './connect-errors';
import { DeviceConfig, ResolvedOverrides, parseDeviceFileText } from './device-file';
import { SimulatorLogger, consoleLogger } from './logger';
import { MqttDevice, MqttDeviceOptions } from './mqtt-device';

export type Transport = 'mqtt' | 'amqp';

/** Options applied to every device of a fleet (or of a single-device run). */
export type SharedDeviceOptions = Omit<
  MqttDeviceOptions & AmqpDeviceOptions,
  'deviceId' | 'name' | 'certificatePem' | 'privateKeyPem' | 'caPem' | 'host' | 'port' | 'mac' | 'logger'
>;

export interface FleetOptions {
  transport: Transport;
  /** A folder of registration JSON files (POST /devices responses); the first `count` by name are used. */
  devicesDir: string;
  count: number;
  /** Devices connecting at the same time. Default 200. */
  concurrency?: number;
  /** --host, --mqtt-port, --amqp-port, --ca (already read) for every device. */
  overrides?: Pick<ResolvedOverrides, 'host' | 'mqttPort' | 'amqpPort' | 'caPem'>;
  device?: SharedDeviceOptions;
  /** Per-request and UART lines; otherwise only a few warnings are shown. */
  verbose?: boolean;
  logger?: SimulatorLogger;
  /** Where the progress line goes; default process.stderr. null for none. */
  progress?: ProgressStream | null;
  /** Stop launching new connections when aborted (SIGINT while connecting). */
  signal?: AbortSignal;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface FleetFailure {
  /** The device file. */
  source: string;
  deviceId?: string;
  error: Error;
}

export interface Fleet {
  transport: Transport;
  /** The devices that connected (they reconnect on their own after a restart or a lost connection). */
  devices: ConnectedDevice[];
  failures: FleetFailure[];
  /** Files that were never tried because the signal was aborted. */
  skipped: number;
  elapsedMs: number;
  /** Disconnects every device. */
  stop(): Promise<void>;
}

/** The fleet could not be set up at all (bad folder, too few files). */
export class FleetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FleetError';
  }
}

export const DEFAULT_FLEET_CONCURRENCY = 200;
const WARNINGS_SHOWN = 20;
const WARNINGS_SUMMARY_EVERY = 1000;
const TTY_REFRESH_MS = 100;

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** The first `count` `.json` files of `dir`, sorted by name. */
export async function listDeviceFiles(dir: string, count: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new FleetError(`cannot read --devices-dir ${JSON.stringify(dir)}: ${messageOf(error)}`);
  }
  const files = names.filter((name) => name.toLowerCase().endsWith('.json')).sort();
  if (files.length < count) {
    throw new FleetError(
      `--devices-dir ${JSON.stringify(dir)} holds ${files.length} device file(s) (*.json), fewer than --count ${count}`,
    );
  }
  return files.slice(0, count).map((name) => join(dir, name));
}

/**
 * Keeps a big fleet's log readable: info lines only when verbose; the first
 * warnings, then one summary line every WARNINGS_SUMMARY_EVERY.
 */
export function fleetLogger(base: SimulatorLogger, verbose: boolean): SimulatorLogger & { warnings(): number } {
  let warnings = 0;
  return {
    info: (line) => {
      if (verbose) base.info(line);
    },
    warn: (line) => {
      warnings += 1;
      if (verbose || warnings <= WARNINGS_SHOWN) base.warn(line);
      else if (warnings % WARNINGS_SUMMARY_EVERY === 0) {
        base.warn(
          `[sim fleet] ${warnings} device warnings so far (showing the first ${WARNINGS_SHOWN}; --verbose shows all)`,
        );
      }
    },
    warnings: () => warnings,
  };
}

/** One progress line: rewritten in place on a TTY, else printed every ~10 %. */
export class ProgressLine {
  private lastDraw = 0;
  private nextTenth = 1;
  private drawn = false;

  constructor(
    private readonly out: ProgressStream | null,
    private readonly total: number,
    private readonly label: string,
    private readonly now: () => number = Date.now,
  ) {}

  update(connected: number, failed: number, final = false): void {
    if (!this.out) return;
    const done = connected + failed;
    const text = `${this.label} ${done}/${this.total}: ${connected} connected, ${failed} failed`;
    if (this.out.isTTY) {
      const time = this.now();
      if (!final && time - this.lastDraw < TTY_REFRESH_MS && done !== this.total) return;
      this.lastDraw = time;
      this.out.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
      this.drawn = !final;
      return;
    }
    // Not a terminal (CI log, file): a line each time another tenth is done.
    let crossed = false;
    while (this.nextTenth <= 10 && done * 10 >= this.nextTenth * this.total) {
      this.nextTenth += 1;
      crossed = true;
    }
    if (crossed) this.out.write(`${text}\n`);
  }

  /** Ends a TTY line so the next output starts on its own line. */
  finish(): void {
    if (this.out?.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

export function createDevice(
  transport: Transport,
  config: DeviceConfig,
  shared: SharedDeviceOptions,
  logger: SimulatorLogger,
  extra: { mac?: string } = {},
): ConnectedDevice {
  const base = {
    ...shared,
    ...extra,
    deviceId: config.deviceId,
    name: config.name,
    certificatePem: config.certificatePem,
    privateKeyPem: config.privateKeyPem,
    caPem: config.caPem,
    logger,
  };
  return transport === 'mqtt'
    ? new MqttDevice({ ...base, host: config.mqtt.host, port: config.mqtt.port })
    : new AmqpDevice({ ...base, host: config.amqp.host, port: config.amqp.port });
}

/** Groups failures by message (device ids removed) for the summary. */
export function summarizeFailures(failures: FleetFailure[], max = 5): string[] {
  const groups = new Map<string, { count: number; example: string }>();
  for (const failure of failures) {
    const key = failure.error.message.replace(/[0-9a-f]{32}/g, '<id>');
    const group = groups.get(key) ?? { count: 0, example: failure.source };
    group.count += 1;
    groups.set(key, group);
  }
  const sorted = [...groups.entries()].sort((a, b) => b[1].count - a[1].count);
  const lines = sorted.slice(0, max).map(([message, g]) => `  ${g.count} x ${message} (e.g. ${g.example})`);
  if (sorted.length > max) lines.push(`  ... and ${sorted.length - max} other reason(s)`);
  return lines;
}

/**
 * Starts `count` devices from `devicesDir` in one process, `concurrency` at a
 * time, with one progress line on stderr and a summary at the end. Devices
 * that fail to connect are reported and left out; the rest keep running
 * until `fleet.stop()`. Idle devices have no timers of their own, and share
 * one clock and one (quiet) logger.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.count) || options.count < 1) throw new FleetError('--count must be an integer >= 1');
  const concurrency = options.concurrency ?? DEFAULT_FLEET_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new FleetError('concurrency must be an integer >= 1');
  const files = await listDeviceFiles(options.devicesDir, options.count);
  const base = options.logger ?? consoleLogger;
  const logger = fleetLogger(base, options.verbose === true);
  const shared: SharedDeviceOptions = {
    clock: Date.now,
    ...options.device,
    logRequests: options.verbose === true,
  };
  const overrides = options.overrides ?? {};
  const progressOut = options.progress === undefined ? process.stderr : options.progress;
  const transportName = options.transport.toUpperCase();
  const progress = new ProgressLine(progressOut, files.length, `connecting ${transportName} devices`);

  const started = Date.now();
  const slots = new Array<ConnectedDevice | undefined>(files.length);
  const failures: FleetFailure[] = [];
  let connected = 0;
  let tried = 0;
  let caPemCache: string | undefined;

  await forEachBounded(
    files,
    concurrency,
    async (file, index) => {
      tried += 1;
      let deviceId: string | undefined;
      try {
        const config = parseDeviceFileText(await readFile(file, 'utf8'), file, overrides);
        deviceId = config.deviceId;
        // Thousands of devices usually carry the same CA: keep one copy of the string.
        if (config.caPem === caPemCache) config.caPem = caPemCache;
        else caPemCache ??= config.caPem;
        const device = createDevice(options.transport, config, shared, logger);
        await device.start();
        slots[index] = device;
        connected += 1;
      } catch (error) {
        failures.push({ source: file, deviceId, error: error instanceof Error ? error : new Error(String(error)) });
        if (options.verbose) base.warn(`[sim fleet] ${file}: ${messageOf(error)}`);
      }
      progress.update(connected, failures.length);
    },
    options.signal,
  );
  progress.update(connected, failures.length, true);
  progress.finish();

  const devices = slots.filter((device): device is ConnectedDevice => device !== undefined);
  const elapsedMs = Date.now() - started;
  const skipped = files.length - tried;
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? ` (${Math.round(connected / seconds)} connects/s)` : '';
  const summary = [
    `fleet: ${connected}/${files.length} ${transportName} devices connected, ${failures.length} failed` +
      `${skipped > 0 ? `, ${skipped} not tried (interrupted)` : ''} in ${seconds.toFixed(1)} s${rate}`,
    ...summarizeFailures(failures),
  ];
  if (progressOut) for (const line of summary) progressOut.write(`${line}\n`);

  return {
    transport: options.transport,
    devices,
    failures,
    skipped,
    elapsedMs,
    stop: async () => {
      await forEachBounded(devices, 500, (device) => device.stop());
    },
  };
}
