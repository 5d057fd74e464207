/**
 * The command reference: one table of options and one of commands. They drive the
 * parser (args.ts: which options exist, which command takes which), `--help`, usage
 * errors and the README.
 */
import { ExitCode } from './errors';
import { DEVICE_TIMEOUT_MS } from '@app/device-protocol';

export const CLI_NAME = 'iotcloud';
export const CLI_VERSION = '0.1.0';

const TIMEOUT_HELP = `how long the gateway waits for the device (${DEVICE_TIMEOUT_MS.min}-${DEVICE_TIMEOUT_MS.max}, default ${DEVICE_TIMEOUT_MS.default})`;

/**
 * Every option: its `parseArgs` type (and short flag), the name of its value in
 * usage lines, and for the global ones their line in `--help`. An option without
 * `global` applies only to the commands whose `options` list it; `timeout` to the
 * device operations.
 */
interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** It may be given more than once. */
  multiple?: boolean;
  /** The name of its value in usage lines (none: a flag). */
  arg?: string;
  /** Its line in `--help` when it applies to every command. */
  global?: string;
}

export const OPTIONS = {
  url: {
    type: 'string',
    arg: 'URL',
    global: 'gateway URL (env IOTCLOUD_URL; default: the URL you logged in to, else https://localhost:8443)',
  },
  ca: {
    type: 'string',
    arg: 'FILE',
    global: 'CA certificate to trust (env IOTCLOUD_CA; default: certs/rootca.pem of the repository)',
  },
  insecure: {
    type: 'boolean',
    global: "do not verify the gateway's certificate (prints a warning; for debugging only)",
  },
  json: { type: 'boolean', global: 'print exactly the JSON body on stdout (errors: {statusCode, code, message})' },
  timeout: { type: 'string', arg: 'MS', global: `device operations and jobs: ${TIMEOUT_HELP}` },
  password: {
    type: 'string',
    arg: 'P',
    global: 'signup/login (env IOTCLOUD_PASSWORD; else prompted when stdin is a terminal)',
  },
  help: { type: 'boolean', short: 'h', global: 'help; `iotcloud help COMMAND` for one command' },
  version: { type: 'boolean', short: 'V', global: 'print the version' },
  'key-type': { type: 'string', arg: 'rsa|ec' },
  csr: { type: 'string', arg: 'FILE' },
  out: { type: 'string', arg: 'DIR' },
  pin: { type: 'string', arg: 'N' },
  limit: { type: 'string', arg: 'N' },
  before: { type: 'string', arg: 'ID' },
  api: { type: 'string', arg: 'API' },
  outcome: { type: 'string', arg: 'CODE' },
  grace: { type: 'string', arg: 'SECONDS' },
  devices: { type: 'string', multiple: true, arg: 'A,B' },
  all: { type: 'boolean' },
  tag: { type: 'string', arg: 'KEY=VALUE' },
  online: { type: 'boolean' },
  concurrency: { type: 'string', arg: 'N' },
  rate: { type: 'string', arg: 'PER_S' },
  'abort-percent': { type: 'string', arg: 'P' },
  'abort-min': { type: 'string', arg: 'N' },
  'no-wait': { type: 'boolean' },
  results: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

const OPTION_SPECS: Readonly<Record<OptionName, OptionSpec>> = OPTIONS;

/** Options that do not apply to every command: each is taken by the commands that list it. */
export type CommandOption = Exclude<OptionName, 'url' | 'ca' | 'insecure' | 'json' | 'timeout' | 'help' | 'version'>;

export interface CommandSpec {
  /** The command words, e.g. `gpio set`. */
  name: string;
  /** Its positional arguments, e.g. `NAME PIN 0|1`. */
  args: string;
  /** The options it takes besides the global ones. */
  options?: readonly CommandOption[];
  /**
   * A device command, which takes `--timeout`. `operation`: one device operation, whose words
   * (after the device's NAME) `job run` takes too; `driver`: a command that runs operations.
   */
  device?: 'operation' | 'driver';
  summary: string;
  example: string;
}

const COMMAND_TABLE = [
  {
    name: 'signup',
    args: 'USER',
    options: ['password'],
    summary: 'create an account',
    example: 'iotcloud signup alice',
  },
  {
    name: 'login',
    args: 'USER',
    options: ['password'],
    summary: 'log in and save the access token',
    example: 'iotcloud login alice',
  },
  { name: 'logout', args: '', summary: 'forget the saved access token', example: 'iotcloud logout' },
  {
    name: 'devices register',
    args: 'NAME',
    options: ['key-type', 'csr', 'out'],
    summary: 'register a device; write its certificate, key and CA to DIR (default ./devices)',
    example: 'iotcloud devices register lamp --out ./devices',
  },
  {
    name: 'devices renew',
    args: 'NAME',
    options: ['key-type', 'csr', 'out', 'grace'],
    summary: 'issue a new certificate for the same device; the old one stops working (after --grace)',
    example: 'iotcloud devices renew lamp --grace 3600',
  },
  { name: 'devices list', args: '', summary: 'list your devices', example: 'iotcloud devices list' },
  { name: 'devices show', args: 'NAME', summary: 'show one device', example: 'iotcloud devices show lamp' },
  {
    name: 'devices unregister',
    args: 'NAME',
    summary: 'unregister a device (its certificate is revoked)',
    example: 'iotcloud devices unregister lamp',
  },
  {
    name: 'status',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's status",
    example: 'iotcloud status lamp',
  },
  {
    name: 'restart',
    args: 'NAME',
    device: 'operation',
    summary: 'restart the device',
    example: 'iotcloud restart lamp',
  },
  {
    name: 'gpio get',
    args: 'NAME PIN',
    device: 'operation',
    summary: 'read a GPIO pin',
    example: 'iotcloud gpio get lamp 5',
  },
  {
    name: 'gpio set',
    args: 'NAME PIN 0|1',
    device: 'operation',
    summary: 'drive a GPIO pin low or high',
    example: 'iotcloud gpio set lamp 5 1',
  },
  {
    name: 'rtc get',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's clock (epoch seconds)",
    example: 'iotcloud rtc get lamp',
  },
  {
    name: 'rtc set',
    args: 'NAME [EPOCH]',
    device: 'operation',
    summary: "set the device's clock (default: now)",
    example: 'iotcloud rtc set lamp 1700000000',
  },
  {
    name: 'mac get',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's MAC address",
    example: 'iotcloud mac get lamp',
  },
  {
    name: 'mac set',
    args: 'NAME MAC',
    device: 'operation',
    summary: "set the device's MAC address",
    example: 'iotcloud mac set lamp 02:00:00:aa:bb:cc',
  },
  {
    name: 'ip',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's IPv4 address",
    example: 'iotcloud ip lamp',
  },
  {
    name: 'subnet',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's subnet mask",
    example: 'iotcloud subnet lamp',
  },
  {
    name: 'gateway',
    args: 'NAME',
    device: 'operation',
    summary: "read the device's default gateway",
    example: 'iotcloud gateway lamp',
  },
  {
    name: 'uart',
    args: 'NAME TEXT',
    device: 'operation',
    summary: "write TEXT to the device's UART (it echoes it)",
    example: 'iotcloud uart lamp "hello"',
  },
  {
    name: 'demo',
    args: 'NAME',
    options: ['pin'],
    device: 'driver',
    summary: 'walk through every device operation, timing each call',
    example: 'iotcloud demo lamp --pin 5',
  },
  {
    name: 'watch',
    args: '',
    summary: 'print the events of your devices as they happen (connect, disconnect, commands); --json: one per line',
    example: 'iotcloud watch --json',
  },
  {
    name: 'history',
    args: 'NAME',
    options: ['limit', 'before', 'api', 'outcome'],
    summary: "list the device's commands, newest first",
    example: 'iotcloud history lamp --outcome DEVICE_TIMEOUT',
  },
  {
    name: 'job run',
    // One target: --devices, or a selector (--all, --tag, --online; --online also with --tag or --all).
    args: 'OPERATION [ARGS]',
    options: ['devices', 'all', 'tag', 'online', 'concurrency', 'rate', 'abort-percent', 'abort-min', 'no-wait'],
    device: 'driver',
    summary: 'run one device operation (as its command takes it, without NAME) on many devices; follows it to the end',
    example: 'iotcloud job run gpio set 3 1 --tag site=north --concurrency 100',
  },
  {
    name: 'job show',
    args: 'ID',
    options: ['results', 'limit'],
    summary: "a job's state and outcome counts; --results: each device's outcome and reply",
    example: 'iotcloud job show 5f0c2a9d1e7b3c4a8d6e2f10 --results',
  },
  {
    name: 'job cancel',
    args: 'ID',
    summary: 'stop a job: no new dispatches, commands in flight finish',
    example: 'iotcloud job cancel 5f0c2a9d1e7b3c4a8d6e2f10',
  },
  { name: 'help', args: '[COMMAND]', summary: "show this help, or one command's", example: 'iotcloud help gpio' },
] as const satisfies readonly CommandSpec[];

export const COMMANDS: readonly CommandSpec[] = COMMAND_TABLE;

/**
 * The device operations: the same words (after the device's NAME) drive one device
 * (`gpio set NAME PIN 0|1`) or a job (`job run gpio set PIN 0|1 --all`).
 */
type OperationSpec = Extract<(typeof COMMAND_TABLE)[number], { device: 'operation' }>;
export type OperationName = OperationSpec['name'];
const OPERATIONS: readonly OperationSpec[] = COMMAND_TABLE.filter(
  (c): c is OperationSpec => 'device' in c && c.device === 'operation',
);
export const OPERATION_NAMES: readonly OperationName[] = OPERATIONS.map((c) => c.name);

export function isOperationName(name: string): name is OperationName {
  return (OPERATION_NAMES as readonly string[]).includes(name);
}

/** The option as usage lines show it: `--out DIR`, `--insecure`. */
function optionUsage(name: OptionName): string {
  const option = OPTION_SPECS[name];
  return option.arg ? `--${name} ${option.arg}` : `--${name}`;
}

/** The commands an option applies to (undefined: every command). */
export function commandsTaking(option: OptionName): readonly string[] | undefined {
  if (option === 'timeout') return COMMANDS.filter((c) => c.device).map((c) => c.name);
  const commands = COMMANDS.filter((c) => c.options?.includes(option as CommandOption)).map((c) => c.name);
  return commands.length > 0 ? commands : undefined;
}

/** `iotcloud gpio set NAME PIN 0|1`. */
export function usageLine(spec: CommandSpec): string {
  const words = [CLI_NAME, spec.name, spec.args, ...(spec.options ?? []).map((o) => `[${optionUsage(o)}]`)];
  return words.filter((word) => word !== '').join(' ');
}

/** Usage lines of the commands named `name` or starting with it (`gpio` → `gpio get`, `gpio set`). */
export function usageOf(name: string): string {
  return COMMANDS.filter((c) => c.name === name || c.name.startsWith(`${name} `))
    .map((c) => `usage: ${usageLine(c)}`)
    .join('\n');
}

/** `OPERATION: status, restart, gpio get PIN, …`: each operation with its arguments but NAME, wrapped. */
function operationLines(): string[] {
  const operations = OPERATIONS.map((c) => [c.name, c.args.replace(/^NAME ?/, '')].join(' ').trim());
  const words = [
    ...operations.map((o, i) => (i < operations.length - 1 ? `${o},` : o)),
    '(as the single-device commands, without NAME)',
  ];
  const lines = ['  OPERATION:'];
  for (const word of words) {
    if (lines[lines.length - 1].length + 1 + word.length > 110) lines.push('            ');
    lines[lines.length - 1] += ` ${word}`;
  }
  return lines;
}

/** More lines of help for some commands. */
const DETAILS: Partial<Record<string, readonly string[]>> = {
  'job run': [
    ...operationLines(),
    '  --devices A,B        these devices (repeatable); or a selector: --all, --tag KEY=VALUE, --online (connected now; alone or with --tag)',
    '  --concurrency N      devices in flight at once (1-1000, default 50)',
    '  --rate PER_S         devices started per second at most (0.1-10000; default: as concurrency allows)',
    '  --abort-percent P    stop dispatching when more than P % of the outcomes so far failed (0-100) ...',
    '  --abort-min N        ... once there are N outcomes (default 10)',
    '  --no-wait            print the job id and return; otherwise follow the job to its end (a progress bar on a',
    '                       terminal, a line every few seconds otherwise; Ctrl-C stops following, not the job)',
    '  exit code 0 when every device answered; 6 when a device failed or the job was aborted or cancelled',
  ],
};

/** Help for one command (or group); undefined when there is no such command. */
export function commandHelp(name: string): string | undefined {
  const specs = COMMANDS.filter((c) => c.name === name || c.name.startsWith(`${name} `));
  if (specs.length === 0) return undefined;
  const lines: string[] = [];
  for (const spec of specs) {
    lines.push(`usage: ${usageLine(spec)}`, `  ${spec.summary}`, `  example: ${spec.example}`);
    if (spec.device) lines.push(`  ${optionUsage('timeout')}   ${TIMEOUT_HELP}`);
    lines.push(...(DETAILS[spec.name] ?? []));
    lines.push('');
  }
  lines.push(`Global options and exit codes: ${CLI_NAME} --help`);
  return lines.join('\n');
}

export const EXIT_CODE_HELP: readonly [number, string][] = [
  [ExitCode.ok, 'success'],
  [ExitCode.internal, 'unexpected or internal error'],
  [ExitCode.usage, 'usage error: bad command, argument or flag (also input the gateway rejects, 400)'],
  [ExitCode.auth, 'not logged in, token expired, or authentication failed (401): run iotcloud login'],
  [ExitCode.notFound, 'not found (404), e.g. no such device'],
  [ExitCode.conflict, 'conflict (409), e.g. username or device name already taken'],
  [ExitCode.device, 'device problem: offline, timeout, bad reply, busy (429/502/503/504); a job not fully ok'],
  [ExitCode.unreachable, 'cannot reach the gateway: connection refused, DNS, TLS verification, no answer'],
  [ExitCode.interrupted, 'interrupted at the password prompt'],
];

export function globalHelp(): string {
  const width = 30;
  const commands = COMMANDS.map((c) => {
    const usage = usageLine(c).slice(CLI_NAME.length + 1);
    return usage.length <= width
      ? `  ${usage.padEnd(width)}  ${c.summary}`
      : `  ${usage}\n  ${''.padEnd(width)}  ${c.summary}`;
  });
  return [
    `${CLI_NAME} ${CLI_VERSION}: command-line client of the IoTCloud REST API`,
    '',
    `usage: ${CLI_NAME} COMMAND [ARGS] [OPTIONS]`,
    '',
    'Commands:',
    ...commands,
    '',
    'Options (anywhere on the line):',
    ...globalOptionLines(),
    '',
    'Environment:',
    '  IOTCLOUD_URL, IOTCLOUD_CA, IOTCLOUD_PASSWORD as above;',
    '  IOTCLOUD_CONFIG  session file (default $XDG_CONFIG_HOME/iotcloud/config.json or ~/.config/iotcloud/config.json)',
    '',
    'Exit codes:',
    ...EXIT_CODE_HELP.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`),
    '',
    'Start with: iotcloud signup alice && iotcloud login alice && iotcloud devices register lamp',
  ].join('\n');
}

/** `  --url URL        gateway URL …`, one line per option with a `global` help text. */
function globalOptionLines(): string[] {
  return (Object.keys(OPTION_SPECS) as OptionName[]).flatMap((name) => {
    const option = OPTION_SPECS[name];
    if (!option.global) return [];
    const flag = `${option.short ? `-${option.short}, ` : ''}${optionUsage(name)}`;
    return [`  ${flag.padEnd(17)}${option.global}`];
  });
}
