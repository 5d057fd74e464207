/**
 * Everything the CLI prints, as strings: `--json` renders bodies verbatim,
 * the default renders for people. No I/O here.
 */
import { ApiError, GatewayUnreachableError, NotLoggedInError, UsageError, errorBody } from './errors';
import { CLI_NAME } from './help';

/** What a command produced: the JSON body (for --json) and its human rendering. */
export interface CommandResult {
  /** The response body; `undefined` prints nothing under --json (e.g. 201/204 without body). */
  json: unknown;
  human: string;
  /** Non-zero when the command finished but did not fully succeed (demo with failures). */
  exitCode?: number;
}

export interface Rendered {
  stdout?: string;
  stderr?: string;
}

export function renderJson(value: unknown): string {
  return value === undefined ? '' : `${JSON.stringify(value, null, 2)}\n`;
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

export function renderResult(result: CommandResult, json: boolean): Rendered {
  return { stdout: json ? renderJson(result.json) : withNewline(result.human) };
}

/** What to do about an error, when there is something to say. */
export function errorHint(error: unknown): string | undefined {
  if (error instanceof NotLoggedInError) return undefined; // its message already says "run iotcloud login"
  if (!(error instanceof ApiError)) return undefined;
  switch (error.code) {
    case 'INVALID_CREDENTIALS':
      return 'Check the username and password (sign up first with: iotcloud signup USER).';
    case 'UNAUTHORIZED':
      return `Your session is missing, expired or was issued by another gateway: run ${CLI_NAME} login USER`;
    case 'USERNAME_TAKEN':
      return `Pick another username, or log in: ${CLI_NAME} login USER`;
    case 'DEVICE_NAME_TAKEN':
      return `Pick another name, or first: ${CLI_NAME} devices unregister NAME`;
    case 'DEVICE_NOT_FOUND':
      return `Your devices: ${CLI_NAME} devices list`;
    case 'DEVICE_OFFLINE':
      return 'Is the device (or the simulator) running and connected to the broker?';
    case 'DEVICE_TIMEOUT':
      return 'The device did not answer in time: try again, or allow longer with --timeout MS (up to 30000).';
    case 'DEVICE_BUSY':
      return 'Too many commands are waiting for this device: retry in a moment.';
    case 'DEVICE_BAD_REPLY':
      return "The device's answer does not follow the protocol (docs/device-protocol.md): check its firmware.";
    case 'JOB_NOT_FOUND':
      return `Job ids are printed by ${CLI_NAME} job run (and with --no-wait); a job of another user is not found either.`;
    case 'INVALID_JOB':
      return `See ${CLI_NAME} help job run.`;
    case 'DEVICE_COMMAND_UNAVAILABLE':
      return "The platform's device-command service is not running: check the `npm start` output.";
    default:
      if (error.statusCode === 401) return `Run ${CLI_NAME} login USER`;
      if (error.statusCode >= 500) return 'The gateway failed: its log says why.';
      return undefined;
  }
}

/**
 * An error for the user. With --json: `{statusCode, code, message}` on stdout.
 * Otherwise one `error:` line on stderr, the usage or a hint under it; never a stack trace.
 */
export function renderError(error: unknown, json: boolean): Rendered {
  if (json) return { stdout: renderJson(errorBody(error)) };
  const lines: string[] = [];
  if (error instanceof ApiError) {
    lines.push(`error: ${error.message} (${error.code}, HTTP ${error.statusCode})`);
  } else if (error instanceof GatewayUnreachableError) {
    lines.push(`error: ${error.message}`);
  } else if (error instanceof Error) {
    lines.push(`error: ${error.message || error.name}`);
  } else {
    lines.push(`error: ${String(error)}`);
  }
  if (error instanceof UsageError) {
    if (error.usage) lines.push(error.usage);
    lines.push(`Run ${CLI_NAME} --help for every command and option.`);
  }
  const hint = errorHint(error);
  if (hint) lines.push(hint);
  return { stderr: `${lines.join('\n')}\n` };
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string-ish field of an untrusted body, or `-`. */
export function field(body: unknown, key: string): string {
  if (!isRecord(body)) return '-';
  const value = body[key];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    isRecord(value) &&
    typeof value.host === 'string' &&
    (typeof value.port === 'number' || typeof value.port === 'string')
  )
    return `${value.host}:${String(value.port)}`;
  return '-';
}

/** `2026-11-25T11:55:00.000Z` → `2026-11-25 11:55`. */
function shortDate(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return match ? `${match[1]} ${match[2]}` : value;
}

export function formatDeviceList(body: unknown): string {
  const devices = Array.isArray(body) ? body : [];
  if (devices.length === 0) return `No devices. Register one with: ${CLI_NAME} devices register NAME`;
  const rows = devices.map((d) => [
    field(d, 'name'),
    field(d, 'deviceId'),
    field(d, 'keyOrigin'),
    shortDate(field(d, 'createdAt')),
    shortDate(field(d, 'notAfter')),
  ]);
  return formatTable(['NAME', 'DEVICE ID', 'KEY', 'CREATED', 'CERT VALID UNTIL'], rows);
}

export function formatDevice(body: unknown): string {
  const rows: [string, string][] = [
    ['name', field(body, 'name')],
    ['device id', field(body, 'deviceId')],
    ['key origin', field(body, 'keyOrigin')],
    ['certificate serial', field(body, 'certificateSerial')],
    ['certificate SHA-256', field(body, 'certificateFingerprint')],
    ['valid from', field(body, 'notBefore')],
    ['valid until', field(body, 'notAfter')],
    ['registered', field(body, 'createdAt')],
    ['MQTT (TLS)', field(body, 'mqtt')],
    ['AMQP (TLS)', field(body, 'amqp')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${value}`).join('\n');
}

/** `1700000000` → `1700000000 (2023-11-14T22:13:20.000Z)`. */
export function formatEpoch(value: string): string {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seconds)) return value;
  return `${value} (${new Date(seconds * 1000).toISOString()})`;
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
