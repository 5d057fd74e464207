/**
 * The command line → a typed Invocation. Every mistake is a UsageError (exit 2)
 * whose message names the problem. No I/O here.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors';
import {
  CLI_NAME,
  COMMANDS,
  OPERATION_NAMES,
  OPTIONS,
  OptionName,
  commandHelp,
  commandsTaking,
  isOperationName,
  usageOf,
} from './help';
import {
  DEVICE_TIMEOUT_MS,
  MAC_ADDRESS_PATTERN,
  MAX_GPIO_NUMBER,
  MAX_RTC_SECONDS,
  MAX_UART_DATA_LENGTH,
} from '@app/device-protocol';
import { DEVICE_NAME_PATTERN, MAX_JOB_DEVICES } from '@app/common';

export type KeyType = 'rsa' | 'ec';
export type NetworkField = 'ip' | 'subnet' | 'gateway';

export type Command =
  | { kind: 'help'; topic?: string }
  | { kind: 'version' }
  | { kind: 'signup'; username: string; password?: string }
  | { kind: 'login'; username: string; password?: string }
  | { kind: 'logout' }
  | { kind: 'devices.register'; name: string; keyType?: KeyType; csrFile?: string; outDir: string }
  | { kind: 'devices.list' }
  | { kind: 'devices.show'; name: string }
  | { kind: 'devices.unregister'; name: string }
  | {
      kind: 'devices.renew';
      name: string;
      keyType?: KeyType;
      csrFile?: string;
      outDir: string;
      graceSeconds?: number;
    }
  | { kind: 'status'; name: string }
  | { kind: 'restart'; name: string }
  | { kind: 'gpio.get'; name: string; pin: number }
  | { kind: 'gpio.set'; name: string; pin: number; value: 0 | 1 }
  | { kind: 'rtc.get'; name: string }
  | { kind: 'rtc.set'; name: string; epoch?: number }
  | { kind: 'mac.get'; name: string }
  | { kind: 'mac.set'; name: string; mac: string }
  | { kind: 'network'; name: string; field: NetworkField }
  | { kind: 'uart'; name: string; text: string }
  | { kind: 'demo'; name: string; pin: number }
  | { kind: 'watch'; maxConnections?: number }
  | { kind: 'history'; name: string; limit?: number; before?: string; api?: string; outcome?: string }
  | {
      kind: 'job.run';
      target: JobTarget;
      operation: Operation;
      concurrency?: number;
      ratePerSecond?: number;
      abort?: { failedPercent: number; minOutcomes?: number };
      /** Follow the job to its end (default); false: print its id and return. */
      wait: boolean;
    }
  | { kind: 'job.show'; id: string; results: boolean; limit?: number }
  | { kind: 'job.cancel'; id: string };

/** Which devices a job targets: named ones, or a selector (as `POST /jobs` takes them). */
export type JobTarget = { devices: string[] } | { selector: { all?: true; tag?: string; online?: true } };

type OperationKind =
  'status' | 'restart' | 'gpio.get' | 'gpio.set' | 'rtc.get' | 'rtc.set' | 'mac.get' | 'mac.set' | 'network' | 'uart';

/** A device operation on one device: `gpio set lamp 5 1`. */
export type DeviceOperation = Extract<Command, { kind: OperationKind }>;

/** A device operation without its device: what `gpio set NAME 5 1` and `job run gpio set 5 1` share. */
export type Operation = { [K in OperationKind]: Omit<Extract<Command, { kind: K }>, 'name'> }[OperationKind];

export type CommandKind = Command['kind'];

/** The arguments of one kind of command, e.g. `CommandOf<'gpio.set'>`. */
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;

/** Options that apply to every command. */
export interface GlobalOptions {
  url?: string;
  ca?: string;
  insecure: boolean;
  json: boolean;
  /** `?timeout=` of device operations. */
  timeoutMs?: number;
}

export interface Invocation {
  command: Command;
  options: GlobalOptions;
}

export const DEFAULT_OUT_DIR = './devices';
export const DEFAULT_DEMO_PIN = 0;

/** Options only some commands take, and which (from the command table). */
const COMMAND_OPTIONS = (Object.keys(OPTIONS) as OptionName[]).flatMap((option) => {
  const commands = commandsTaking(option);
  return commands ? [[option, commands] as const] : [];
});

const GROUPS: Record<string, readonly string[]> = {
  devices: ['register', 'renew', 'list', 'show', 'unregister'],
  gpio: ['get', 'set'],
  rtc: ['get', 'set'],
  mac: ['get', 'set'],
  job: ['run', 'show', 'cancel'],
};

/** True when argv asks for JSON output, even if the rest of it cannot be parsed. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

function runParseArgs(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

type Values = ReturnType<typeof runParseArgs>['values'];

export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed: ReturnType<typeof runParseArgs>;
  try {
    parsed = runParseArgs(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const options: GlobalOptions = {
    url: values.url,
    ca: values.ca,
    insecure: values.insecure === true,
    json: values.json === true,
  };

  if (values.version === true) return { command: { kind: 'version' }, options };

  const [first, ...rest] = positionals;
  if (first === undefined) {
    if (values.help === true) return { command: { kind: 'help' }, options };
    throw new UsageError('missing command', `usage: ${CLI_NAME} COMMAND [ARGS] [OPTIONS]`);
  }
  if (first === 'help') {
    const topic = rest.join(' ') || undefined;
    if (topic !== undefined && commandHelp(topic) === undefined) throw new UsageError(`unknown command "${topic}"`);
    return { command: { kind: 'help', topic }, options };
  }

  // Resolve the command words: `gpio set` or `status`.
  let name = first;
  let args = rest;
  const group = GROUPS[first];
  if (group) {
    const sub = rest[0];
    if (values.help === true && (sub === undefined || !group.includes(sub))) {
      return { command: { kind: 'help', topic: first }, options };
    }
    if (sub === undefined) throw new UsageError(`"${first}" needs a subcommand: ${group.join(', ')}`, usageOf(first));
    if (!group.includes(sub))
      throw new UsageError(`unknown command "${first} ${sub}"; try: ${group.join(', ')}`, usageOf(first));
    name = `${first} ${sub}`;
    args = rest.slice(1);
  } else if (!COMMANDS.some((c) => c.name === first)) {
    throw new UsageError(`unknown command "${first}"`);
  }
  if (values.help === true) return { command: { kind: 'help', topic: name }, options };

  for (const [option, commands] of COMMAND_OPTIONS) {
    if (values[option] !== undefined && !commands.includes(name)) {
      throw new UsageError(`--${option} does not apply to "${name}"`, usageOf(name));
    }
  }
  if (values.timeout !== undefined) {
    options.timeoutMs = parseInteger('--timeout', values.timeout, DEVICE_TIMEOUT_MS.min, DEVICE_TIMEOUT_MS.max, name);
  }

  const command = parseCommand(name, args, values);
  return { command, options };
}

function parseCommand(name: string, args: readonly string[], values: Values): Command {
  const usage = usageOf(name);
  /** Exactly `min`..`max` positional arguments, named in the usage line. */
  const take = (min: number, max: number = min): readonly string[] => {
    if (args.length < min) throw new UsageError(`"${name}" needs ${describeMissing(name, args.length)}`, usage);
    if (args.length > max) throw new UsageError(`unexpected argument "${args[max]}" for "${name}"`, usage);
    return args;
  };

  if (isOperationName(name)) {
    if (args.length === 0) throw new UsageError(`"${name}" needs ${describeMissing(name, 0)}`, usage);
    const [device, ...rest] = args;
    const operation = parseOperation(name, rest, usage);
    return withDevice(operation, deviceName(device, usage));
  }

  switch (name) {
    case 'signup':
    case 'login': {
      const [username] = take(1);
      if (values.password === '') throw new UsageError('--password must not be empty', usage);
      return { kind: name, username, password: values.password };
    }
    case 'logout':
      take(0);
      return { kind: 'logout' };
    case 'devices register':
    case 'devices renew': {
      const [device] = take(1);
      const keyType = values['key-type'];
      if (keyType !== undefined && keyType !== 'rsa' && keyType !== 'ec') {
        throw new UsageError(`--key-type must be rsa or ec, got "${keyType}"`, usage);
      }
      if (keyType !== undefined && values.csr !== undefined) {
        throw new UsageError('--key-type and --csr exclude each other: with a CSR the device made its own key', usage);
      }
      if (values.csr === '') throw new UsageError('--csr needs a file name', usage);
      if (values.out === '') throw new UsageError('--out needs a directory', usage);
      const common: { name: string; keyType?: KeyType; csrFile?: string; outDir: string } = {
        name: deviceName(device, usage),
        keyType,
        csrFile: values.csr,
        outDir: values.out ?? DEFAULT_OUT_DIR,
      };
      if (name === 'devices register') return { kind: 'devices.register', ...common };
      const grace = values.grace;
      if (grace !== undefined && !/^\d{1,6}$/.test(grace)) {
        throw new UsageError(`--grace must be a number of seconds (0-604800), got "${grace}"`, usage);
      }
      return { kind: 'devices.renew', ...common, graceSeconds: grace === undefined ? undefined : Number(grace) };
    }
    case 'devices list':
      take(0);
      return { kind: 'devices.list' };
    case 'devices show':
      return { kind: 'devices.show', name: deviceName(take(1)[0], usage) };
    case 'devices unregister':
      return { kind: 'devices.unregister', name: deviceName(take(1)[0], usage) };
    case 'demo': {
      const [device] = take(1);
      const pin = values.pin === undefined ? DEFAULT_DEMO_PIN : gpioPin(values.pin, usage);
      return { kind: 'demo', name: deviceName(device, usage), pin };
    }
    case 'watch':
      take(0);
      return { kind: 'watch' };
    case 'history': {
      const [device] = take(1);
      if (values.before !== undefined && !/^[0-9a-f]{24}$/.test(values.before)) {
        throw new UsageError(`--before must be a command id (24 hex digits), got "${values.before}"`, usage);
      }
      if (values.outcome !== undefined && !/^[A-Z_]{2,64}$/.test(values.outcome)) {
        throw new UsageError(
          `--outcome must be OK or an error code like DEVICE_TIMEOUT, got "${values.outcome}"`,
          usage,
        );
      }
      return {
        kind: 'history',
        name: deviceName(device, usage),
        limit: values.limit === undefined ? undefined : parseInteger('--limit', values.limit, 1, 100, name),
        before: values.before,
        api: values.api,
        outcome: values.outcome,
      };
    }
    case 'job run':
      return parseJobRun(args, values, usage);
    case 'job show':
    case 'job cancel': {
      const id = jobId(take(1)[0], usage);
      if (name === 'job cancel') return { kind: 'job.cancel', id };
      const limit =
        values.limit === undefined ? undefined : parseInteger('--limit', values.limit, 1, MAX_JOB_DEVICES, name);
      return { kind: 'job.show', id, results: values.results === true || limit !== undefined, limit };
    }
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

/**
 * The arguments of a device operation after the device's NAME (`5 1` of `gpio set lamp 5 1`):
 * one parser for the single-device commands and for `job run`.
 */
export function parseOperation(name: string, args: readonly string[], usage: string): Operation {
  /** Exactly `min`..`max` arguments after NAME, named in the usage line. */
  const take = (min: number, max: number = min): readonly string[] => {
    if (args.length < min) throw new UsageError(`"${name}" needs ${describeMissing(name, args.length + 1)}`, usage);
    if (args.length > max) throw new UsageError(`unexpected argument "${args[max]}" for "${name}"`, usage);
    return args;
  };
  switch (name) {
    case 'status':
    case 'restart':
      take(0);
      return { kind: name };
    case 'gpio get':
      return { kind: 'gpio.get', pin: gpioPin(take(1)[0], usage) };
    case 'gpio set': {
      const [pin, value] = take(2);
      const number = gpioPin(pin, usage);
      if (value !== '0' && value !== '1') throw new UsageError(`GPIO value must be 0 or 1, got "${value}"`, usage);
      return { kind: 'gpio.set', pin: number, value: value === '1' ? 1 : 0 };
    }
    case 'rtc get':
      take(0);
      return { kind: 'rtc.get' };
    case 'rtc set': {
      const [epoch] = take(0, 1);
      return {
        kind: 'rtc.set',
        epoch: epoch === undefined ? undefined : parseInteger('EPOCH', epoch, 0, MAX_RTC_SECONDS, usage),
      };
    }
    case 'mac get':
      take(0);
      return { kind: 'mac.get' };
    case 'mac set': {
      const [mac] = take(1);
      if (!MAC_ADDRESS_PATTERN.test(mac)) {
        throw new UsageError(`MAC must be six hex octets like aa:bb:cc:dd:ee:ff, got "${mac}"`, usage);
      }
      return { kind: 'mac.set', mac: mac.toLowerCase() };
    }
    case 'ip':
    case 'subnet':
    case 'gateway':
      take(0);
      return { kind: 'network', field: name };
    case 'uart': {
      const [text] = take(1);
      if (text.length > MAX_UART_DATA_LENGTH) {
        throw new UsageError(`TEXT must be at most ${MAX_UART_DATA_LENGTH} characters, got ${text.length}`, usage);
      }
      return { kind: 'uart', text };
    }
    default:
      throw new UsageError(`unknown device operation "${name}"; operations: ${OPERATION_NAMES.join(', ')}`, usage);
  }
}

/** An operation bound to one device. */
export function withDevice(operation: Operation, name: string): DeviceOperation {
  return { ...operation, name };
}

/** `POST /jobs` bounds (the gateway checks them again): devices in flight, and devices started per second. */
export const JOB_CONCURRENCY = { min: 1, max: 1000 } as const;
export const JOB_RATE = { min: 0.1, max: 10_000 } as const;

/** `job run OPERATION [ARGS] TARGET [OPTIONS]`: the operation words first, as the single-device command has them. */
function parseJobRun(args: readonly string[], values: Values, usage: string): Command {
  const [first, second, ...more] = args;
  if (first === undefined) {
    throw new UsageError(
      `"job run" needs an OPERATION, e.g. gpio set 3 1; operations: ${OPERATION_NAMES.join(', ')}`,
      usage,
    );
  }
  const twoWords = OPERATION_NAMES.some((operation) => operation.startsWith(`${first} `));
  const operationName = twoWords ? `${first} ${second ?? ''}`.trim() : first;
  if (!isOperationName(operationName)) {
    throw new UsageError(
      `"${operationName}" is not a device operation; operations: ${OPERATION_NAMES.join(', ')}`,
      usage,
    );
  }
  const operation = parseOperation(operationName, twoWords ? more : args.slice(1), usage);

  const selector = values.all === true || values.tag !== undefined || values.online === true;
  if (values.devices !== undefined && selector) {
    throw new UsageError('--devices and a selector (--all, --tag, --online) exclude each other', usage);
  }
  if (values.all === true && values.tag !== undefined) {
    throw new UsageError('--all and --tag exclude each other: --tag already picks from all your devices', usage);
  }
  let target: JobTarget;
  if (values.devices !== undefined) {
    const names = values.devices.flatMap((list) => list.split(',')).map((n) => n.trim());
    if (names.some((n) => n === '')) throw new UsageError('--devices needs device names, comma-separated', usage);
    target = { devices: [...new Set(names.map((n) => deviceName(n, usage)))] };
    if (target.devices.length > MAX_JOB_DEVICES) {
      throw new UsageError(`a job takes at most ${MAX_JOB_DEVICES} devices`, usage);
    }
  } else if (selector) {
    if (values.tag !== undefined && !/^[^=\s]+=[^=\s]+$/.test(values.tag)) {
      throw new UsageError(`--tag must be KEY=VALUE, got "${values.tag}"`, usage);
    }
    target = {
      selector: {
        ...(values.all === true ? { all: true as const } : {}),
        ...(values.tag === undefined ? {} : { tag: values.tag }),
        ...(values.online === true ? { online: true as const } : {}),
      },
    };
  } else {
    throw new UsageError('"job run" needs its devices: --devices A,B, --all, --tag KEY=VALUE or --online', usage);
  }

  const number = (what: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    const value = /^\d{1,6}(\.\d{1,3})?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max))
      throw new UsageError(`${what} must be a number from ${min} to ${max}, got "${raw}"`, usage);
    return value;
  };
  const failedPercent = number('--abort-percent', values['abort-percent'], 0, 100);
  if (values['abort-min'] !== undefined && failedPercent === undefined) {
    throw new UsageError('--abort-min needs --abort-percent', usage);
  }
  const minOutcomes =
    values['abort-min'] === undefined
      ? undefined
      : parseInteger('--abort-min', values['abort-min'], 1, MAX_JOB_DEVICES, usage);
  return {
    kind: 'job.run',
    target,
    operation,
    concurrency:
      values.concurrency === undefined
        ? undefined
        : parseInteger('--concurrency', values.concurrency, JOB_CONCURRENCY.min, JOB_CONCURRENCY.max, usage),
    ratePerSecond: number('--rate', values.rate, JOB_RATE.min, JOB_RATE.max),
    abort:
      failedPercent === undefined
        ? undefined
        : { failedPercent, ...(minOutcomes === undefined ? {} : { minOutcomes }) },
    wait: values['no-wait'] !== true,
  };
}

/** A job id as the gateway makes them (hex); anything else cannot name a job. */
function jobId(value: string, usage: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new UsageError(`invalid job id "${value}"`, usage);
  return value;
}

/** `NAME PIN 0|1` with 1 given → `PIN and 0|1`. */
function describeMissing(name: string, given: number): string {
  const spec = COMMANDS.find((c) => c.name === name);
  const words = (spec?.args ?? '').split(' ').filter((w) => w !== '' && !w.startsWith('[') && !w.endsWith(']'));
  const missing = words.slice(given);
  return missing.length > 0 ? missing.join(' and ') : 'more arguments';
}

export function deviceName(value: string, usage?: string): string {
  if (!DEVICE_NAME_PATTERN.test(value)) {
    throw new UsageError(`invalid device name "${value}": use 1-64 letters, digits, _ and -`, usage);
  }
  return value;
}

function gpioPin(value: string, usage: string): number {
  return parseInteger('PIN', value, 0, MAX_GPIO_NUMBER, usage);
}

/** A plain decimal integer in [min, max]; `what` names it in the error. */
function parseInteger(what: string, value: string, min: number, max: number, usageOrName: string): number {
  const usage = usageOrName.startsWith('usage:') ? usageOrName : usageOf(usageOrName);
  const number = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${what} must be an integer from ${min} to ${max}, got "${value}"`, usage);
  }
  return number;
}
