import { parseArgs } from 'node:util';
import { DEVICE_APIS, DeviceApi, isDeviceApi, parseDeviceReply } from '@app/device-protocol';
import { ConnectedDevice } from './connected-device';
import { DeviceConnectError, messageOf } from './connect-errors';
import { DeviceFileError, DeviceOverrides, loadDeviceFile, readOverrides } from './device-file';
import {
  DEFAULT_FLEET_CONCURRENCY,
  Fleet,
  FleetError,
  SharedDeviceOptions,
  Transport,
  createDevice,
  startFleet,
} from './fleet';
import { SimulatorLogger } from './logger';
import type { MqttVersion } from './mqtt-device';

export const USAGE = `Usage: npm run simulator -- [options]

Simulates an FT900 board (or a fleet of them) on the platform's broker,
answering the device protocol like the real firmware (docs/device-protocol.md).

Device (single-device mode):
  --device FILE          the JSON saved from POST /devices (deviceId, certificate,
                         privateKey, caCertificate, mqtt, amqp)
  --id ID                device id (32 hex characters); overrides the file
  --cert FILE            client certificate PEM; overrides the file
  --key FILE             private key PEM; overrides the file (the key is only in
                         the POST /devices response)
  --ca FILE              platform CA PEM (e.g. certs/rootca.pem); overrides the file
  --host HOST            broker host; overrides the file (default localhost without a file)
  --mqtt-port PORT       default: the file's, else 8883
  --amqp-port PORT       default: the file's, else 5671

Connection:
  --transport mqtt|amqp  default mqtt
  --mqtt-version 3|4|5   3 = MQTT 3.1 (MQIsdp), 4 = MQTT 3.1.1 (default), 5 = MQTT 5
                         (replies echo the request's Correlation Data, on its Response Topic)
  --username USER        legacy login with a password (default: none, the broker
  --password PASS        logs the device in by its certificate CN)
  --insecure             do not verify the broker certificate
  --restart-delay MS     offline time after set_status restart (default 1000)

Board state:
  --mac MAC              default: 02:xx:xx:xx:xx:xx from the device id
  --ip IP --subnet MASK --gateway IP
                         default: this host's first IPv4 interface, else
                         192.168.1.100 / 255.255.255.0 / 192.168.1.1

Fault injection:
  --reply-delay MS       delay every reply
  --bad-reply APIS       answer these apis with {"value":"banana"} (comma-separated)
  --non-json-reply APIS  answer these apis with the bytes "not json"
  --silent APIS          never answer these apis

Fleet mode:
  --count N              run N devices in this process...
  --devices-dir DIR      ...from the first N *.json files of DIR (sorted by name)
  --concurrency N        devices connecting at once (default ${DEFAULT_FLEET_CONCURRENCY})

  --verbose              per-request lines in fleet mode, more detail on errors
  -h, --help             this text

Exit codes: 0 after Ctrl-C/SIGTERM, 1 when the device cannot connect, 2 for bad flags or files.`;

/** A mistake in the flags: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface Common {
  transport: Transport;
  device: SharedDeviceOptions;
  verbose: boolean;
}

export type CliCommand =
  | { kind: 'help' }
  | (Common & {
      kind: 'single';
      /** --device; undefined when the flags describe the device. */
      devicePath?: string;
      overrides: DeviceOverrides;
      mac?: string;
    })
  | (Common & {
      kind: 'fleet';
      devicesDir: string;
      count: number;
      concurrency: number;
      overrides: Pick<DeviceOverrides, 'host' | 'mqttPort' | 'amqpPort' | 'caFile'>;
    });

const OPTIONS = {
  transport: { type: 'string' },
  device: { type: 'string' },
  id: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  host: { type: 'string' },
  'mqtt-port': { type: 'string' },
  'amqp-port': { type: 'string' },
  'mqtt-version': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  insecure: { type: 'boolean' },
  'restart-delay': { type: 'string' },
  'reply-delay': { type: 'string' },
  'bad-reply': { type: 'string', multiple: true },
  'non-json-reply': { type: 'string', multiple: true },
  silent: { type: 'string', multiple: true },
  mac: { type: 'string' },
  ip: { type: 'string' },
  subnet: { type: 'string' },
  gateway: { type: 'string' },
  count: { type: 'string' },
  'devices-dir': { type: 'string' },
  concurrency: { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integer(
  flag: string,
  value: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be an integer ${range}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function apis(flag: string, values: string[] | undefined): DeviceApi[] | undefined {
  if (values === undefined) return undefined;
  const list = values
    .flatMap((value) => value.split(','))
    .map((api) => api.trim())
    .filter((api) => api !== '');
  for (const api of list) {
    if (!isDeviceApi(api)) {
      throw new UsageError(`--${flag}: unknown api ${JSON.stringify(api)} (apis: ${DEVICE_APIS.join(', ')})`);
    }
  }
  return list as DeviceApi[];
}

function address(flag: string, value: string | undefined, kind: 'get_mac' | 'get_ip'): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDeviceReply(kind, { value }).value;
  } catch (error) {
    const reason = (error as { details?: { reason?: string } }).details?.reason ?? messageOf(error);
    throw new UsageError(`--${flag} ${JSON.stringify(value)} ${reason}`);
  }
}

function text(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  return value;
}

/** Parses the command line (no I/O). Throws UsageError. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs' messages are clear ("Unknown option '--x'", "Option '--count <value>' argument missing").
    const message = messageOf(error)
      .replace(/^\w*Error \[ERR_[A-Z_]+\]: /, '')
      .replace(/\. To specify a positional argument.*$/s, '')
      .replace(/\n/g, ' ');
    throw new UsageError(message);
  }
  if (values.help) return { kind: 'help' };

  const transport = values.transport ?? 'mqtt';
  if (transport !== 'mqtt' && transport !== 'amqp') {
    throw new UsageError(`--transport must be mqtt or amqp, got ${JSON.stringify(transport)}`);
  }
  const mqttVersion = integer('mqtt-version', values['mqtt-version'], 3, 5);
  if (mqttVersion !== undefined && transport !== 'mqtt') {
    throw new UsageError('--mqtt-version only applies to --transport mqtt');
  }
  if (values.password !== undefined && values.username === undefined) {
    throw new UsageError('--password needs --username (without both, the device logs in by its certificate)');
  }

  const device: SharedDeviceOptions = {};
  if (mqttVersion !== undefined) device.mqttVersion = mqttVersion as MqttVersion;
  if (values.username !== undefined) device.username = values.username;
  if (values.password !== undefined) device.password = values.password;
  if (values.insecure) device.insecure = true;
  const restartDelayMs = integer('restart-delay', values['restart-delay'], 0);
  if (restartDelayMs !== undefined) device.restartDelayMs = restartDelayMs;
  const replyDelayMs = integer('reply-delay', values['reply-delay'], 0);
  if (replyDelayMs !== undefined) device.replyDelayMs = replyDelayMs;
  const badReplyApis = apis('bad-reply', values['bad-reply']);
  if (badReplyApis) device.badReplyApis = badReplyApis;
  const nonJsonReplyApis = apis('non-json-reply', values['non-json-reply']);
  if (nonJsonReplyApis) device.nonJsonReplyApis = nonJsonReplyApis;
  const silentApis = apis('silent', values.silent);
  if (silentApis) device.silentApis = silentApis;
  const ip = address('ip', values.ip, 'get_ip');
  if (ip !== undefined) device.ip = ip;
  const subnet = address('subnet', values.subnet, 'get_ip');
  if (subnet !== undefined) device.subnet = subnet;
  const gateway = address('gateway', values.gateway, 'get_ip');
  if (gateway !== undefined) device.gateway = gateway;
  const mac = address('mac', values.mac, 'get_mac');

  const host = text('host', values.host);
  const mqttPort = integer('mqtt-port', values['mqtt-port'], 1, 65535);
  const amqpPort = integer('amqp-port', values['amqp-port'], 1, 65535);
  const caFile = text('ca', values.ca);
  const verbose = values.verbose === true;
  const count = integer('count', values.count, 1);
  const devicesDir = text('devices-dir', values['devices-dir']);
  const concurrency = integer('concurrency', values.concurrency, 1);

  if (count !== undefined || devicesDir !== undefined) {
    if (count === undefined) throw new UsageError('--devices-dir needs --count N');
    if (devicesDir === undefined)
      throw new UsageError('--count needs --devices-dir DIR (a folder of POST /devices responses)');
    const perDevice = (['device', 'id', 'cert', 'key', 'mac'] as const).filter((flag) => values[flag] !== undefined);
    if (perDevice.length > 0) {
      throw new UsageError(
        `${perDevice.map((flag) => `--${flag}`).join(', ')} cannot be used with --count: each device comes from its own file`,
      );
    }
    return {
      kind: 'fleet',
      transport,
      device,
      verbose,
      devicesDir,
      count,
      concurrency: concurrency ?? DEFAULT_FLEET_CONCURRENCY,
      overrides: { host, mqttPort, amqpPort, caFile },
    };
  }
  if (concurrency !== undefined) throw new UsageError('--concurrency only applies to fleet mode (--count)');

  const devicePath = text('device', values.device);
  const deviceId = text('id', values.id);
  if (devicePath === undefined && deviceId === undefined) {
    throw new UsageError(
      'no device: give --device FILE (the saved POST /devices response), or --id, --cert, --key and --ca, or --count with --devices-dir',
    );
  }
  return {
    kind: 'single',
    transport,
    device,
    verbose,
    devicePath,
    mac,
    overrides: {
      deviceId,
      certFile: text('cert', values.cert),
      keyFile: text('key', values.key),
      caFile,
      host,
      mqttPort,
      amqpPort,
    },
  };
}

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  shutdownSignal: AbortSignal;
}

function loggerFor(io: CliIo): SimulatorLogger {
  return {
    info: (line) => io.stdout.write(`${line}\n`),
    warn: (line) => io.stderr.write(`${line}\n`),
  };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Runs the simulator until the shutdown signal; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`device-simulator: ${error.message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (command.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    return command.kind === 'single' ? await runSingle(command, io) : await runFleet(command, io);
  } catch (error) {
    if (error instanceof DeviceFileError || error instanceof FleetError || error instanceof RangeError) {
      io.stderr.write(`device-simulator: ${error.message}\n`);
      return 2;
    }
    const verbose = command.verbose && error instanceof Error && error.stack ? `\n${error.stack}` : '';
    io.stderr.write(`device-simulator: ${messageOf(error)}${verbose}\n`);
    return 1;
  }
}

async function runSingle(command: Extract<CliCommand, { kind: 'single' }>, io: CliIo): Promise<number> {
  const logger = loggerFor(io);
  const config = await loadDeviceFile(command.devicePath, command.overrides);
  const device: ConnectedDevice = createDevice(
    command.transport,
    config,
    { ...command.device, logRequests: true },
    logger,
    command.mac === undefined ? {} : { mac: command.mac },
  );
  const board = device.device;
  logger.info(
    `[sim ${device.label}] device ${device.deviceId}: mac ${board.mac}, ip ${board.ip}/${board.subnet} via ${board.gateway}; connecting to ${device.url}`,
  );
  const onShutdown = (): void => void device.stop();
  io.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
  try {
    await device.start();
  } catch (error) {
    if (error instanceof DeviceConnectError && error.reason === 'stopped') return 0;
    io.stderr.write(`device-simulator: ${messageOf(error)}\n`);
    return 1;
  }
  logger.info(`[sim ${device.label}] answering requests; Ctrl-C to stop`);
  await untilAborted(io.shutdownSignal);
  await device.stop();
  return 0;
}

async function runFleet(command: Extract<CliCommand, { kind: 'fleet' }>, io: CliIo): Promise<number> {
  const logger = loggerFor(io);
  const resolved = await readOverrides(command.overrides);
  const fleet: Fleet = await startFleet({
    transport: command.transport,
    devicesDir: command.devicesDir,
    count: command.count,
    concurrency: command.concurrency,
    overrides: { host: resolved.host, mqttPort: resolved.mqttPort, amqpPort: resolved.amqpPort, caPem: resolved.caPem },
    device: command.device,
    verbose: command.verbose,
    logger,
    progress: io.stderr,
    signal: io.shutdownSignal,
  });
  if (fleet.devices.length === 0) {
    io.stderr.write('device-simulator: no device connected\n');
    return io.shutdownSignal.aborted ? 0 : 1;
  }
  if (!io.shutdownSignal.aborted) {
    io.stderr.write(`fleet: ${fleet.devices.length} devices answering requests; Ctrl-C to stop\n`);
    await untilAborted(io.shutdownSignal);
  }
  io.stderr.write(`fleet: disconnecting ${fleet.devices.length} devices...\n`);
  await fleet.stop();
  io.stderr.write('fleet: stopped\n');
  return 0;
}
