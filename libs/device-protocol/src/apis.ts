import {
  FieldCheck,
  MAX_GPIO_NUMBER,
  MAX_RTC_SECONDS,
  MAX_UART_DATA_LENGTH,
  ShapeValue,
  boundedString,
  gpioValue,
  integerInRange,
  ipv4Address,
  literal,
  macAddress,
} from './fields';

/** `read` apis only look (served as queries); `write` apis change the device (served as commands). */
export type DeviceApiAccess = 'read' | 'write';

/** The fields of one side of an api: one check per field; every field is required. */
export type FieldChecks = { readonly [field: string]: FieldCheck<unknown> };

/** Everything the platform knows about one device api. */
export interface DeviceApiDefinition {
  /** What it does, in a few words (API docs, CLI help). */
  readonly summary: string;
  readonly access: DeviceApiAccess;
  /** The request the platform publishes on `{deviceId}/{api}`. */
  readonly request: FieldChecks;
  /** The reply the device publishes on `server/{deviceId}/{api}`. */
  readonly reply: FieldChecks;
  /**
   * The REST route, below `/devices/{name}/`. A `:field` segment carries that
   * request field; the other request fields are the JSON body.
   */
  readonly rest: { readonly method: 'GET' | 'PUT' | 'POST'; readonly path: string };
  /** libpyiotcloud's route (`/{path}`, every field in the JSON body), or null for an api it did not have. */
  readonly legacy: { readonly method: 'GET' | 'POST'; readonly path: string } | null;
  /** How long the gateway waits for the device when the caller does not say; default DEVICE_TIMEOUT_MS.default. */
  readonly timeoutMs?: number;
}

/** The bounds of a caller's `timeout` (ms), and the default of every api that names none. */
export const DEVICE_TIMEOUT_MS = { min: 100, max: 30_000, default: 5_000 } as const;

const gpioNumber = integerInRange(0, MAX_GPIO_NUMBER);
const rtcSeconds = integerInRange(0, MAX_RTC_SECONDS);
const uartData = boundedString(MAX_UART_DATA_LENGTH);

/**
 * The one definition of the device API. Everything else derives from it: the
 * api names and their request/reply types, payload validation, the REST and
 * legacy routes and their documentation, read/write dispatch, the default
 * timeout, device-command's barrier apis and the CLI's limits. Adding an api is
 * one entry here plus the simulator's behaviour (SimulatedDevice.execute).
 */
export const DEVICE_API_TABLE = {
  get_status: {
    summary: 'Whether the device runs',
    access: 'read',
    request: {},
    reply: { status: literal('running') },
    rest: { method: 'GET', path: 'status' },
    legacy: { method: 'GET', path: 'get_status' },
  },
  set_status: {
    summary: 'Restart the device; it answers `restarting`, then reconnects',
    access: 'write',
    request: { status: literal('restart') },
    reply: { status: literal('restarting') },
    rest: { method: 'PUT', path: 'status' },
    legacy: { method: 'POST', path: 'set_status' },
  },
  get_gpio: {
    summary: 'The level of one GPIO pin',
    access: 'read',
    request: { number: gpioNumber },
    reply: { number: gpioNumber, value: gpioValue },
    rest: { method: 'GET', path: 'gpio/:number' },
    legacy: { method: 'GET', path: 'get_gpio' },
  },
  set_gpio: {
    summary: 'Drive one GPIO pin low (0) or high (1)',
    access: 'write',
    request: { number: gpioNumber, value: gpioValue },
    reply: { number: gpioNumber, value: gpioValue },
    rest: { method: 'PUT', path: 'gpio/:number' },
    legacy: { method: 'POST', path: 'set_gpio' },
  },
  get_rtc: {
    summary: 'The device clock, in epoch seconds',
    access: 'read',
    request: {},
    reply: { value: rtcSeconds },
    rest: { method: 'GET', path: 'rtc' },
    legacy: { method: 'GET', path: 'get_rtc' },
  },
  set_rtc: {
    summary: 'Set the device clock, in epoch seconds',
    access: 'write',
    request: { value: rtcSeconds },
    reply: { value: rtcSeconds },
    rest: { method: 'PUT', path: 'rtc' },
    legacy: { method: 'POST', path: 'set_rtc' },
  },
  get_mac: {
    summary: 'The MAC address',
    access: 'read',
    request: {},
    reply: { value: macAddress },
    rest: { method: 'GET', path: 'mac' },
    legacy: { method: 'GET', path: 'get_mac' },
  },
  set_mac: {
    summary: 'Set the MAC address',
    access: 'write',
    request: { value: macAddress },
    reply: { value: macAddress },
    rest: { method: 'PUT', path: 'mac' },
    legacy: { method: 'POST', path: 'set_mac' },
  },
  get_ip: {
    summary: 'The IPv4 address',
    access: 'read',
    request: {},
    reply: { value: ipv4Address },
    rest: { method: 'GET', path: 'ip' },
    legacy: { method: 'GET', path: 'get_ip' },
  },
  get_subnet: {
    summary: 'The subnet mask',
    access: 'read',
    request: {},
    reply: { value: ipv4Address },
    rest: { method: 'GET', path: 'subnet' },
    legacy: { method: 'GET', path: 'get_subnet' },
  },
  get_gateway: {
    summary: 'The default gateway',
    access: 'read',
    request: {},
    reply: { value: ipv4Address },
    rest: { method: 'GET', path: 'gateway' },
    legacy: { method: 'GET', path: 'get_gateway' },
  },
  write_uart: {
    summary: "Write text to the device's UART; the device echoes it",
    access: 'write',
    request: { data: uartData },
    reply: { data: uartData },
    rest: { method: 'POST', path: 'uart' },
    legacy: { method: 'POST', path: 'write_uart' },
  },
} as const satisfies { readonly [api: string]: DeviceApiDefinition };

type Table = typeof DEVICE_API_TABLE;

/** Every api a device understands. The api is the last word of the topic. */
export type DeviceApi = keyof Table;

/** The api names, in table order. */
export const DEVICE_APIS = Object.keys(DEVICE_API_TABLE) as readonly DeviceApi[];

const API_SET: ReadonlySet<string> = new Set<string>(DEVICE_APIS);

export function isDeviceApi(value: string): value is DeviceApi {
  return typeof value === 'string' && API_SET.has(value);
}

/** The definition of one api, typed as the general shape (for code that works on any api). */
export function deviceApiDefinition(api: DeviceApi): DeviceApiDefinition {
  return DEVICE_API_TABLE[api];
}

/** Apis that only read device state. */
export type DeviceReadApi = { [A in DeviceApi]: Table[A]['access'] extends 'read' ? A : never }[DeviceApi];
/** Apis that change the device. */
export type DeviceWriteApi = Exclude<DeviceApi, DeviceReadApi>;

export function isDeviceReadApi(api: DeviceApi): api is DeviceReadApi {
  return DEVICE_API_TABLE[api].access === 'read';
}

export const DEVICE_READ_APIS: readonly DeviceReadApi[] = DEVICE_APIS.filter(isDeviceReadApi);
export const DEVICE_WRITE_APIS = DEVICE_APIS.filter((api) => !isDeviceReadApi(api)) as readonly DeviceWriteApi[];

/** How long the gateway waits for this api's device reply when the caller gives no timeout. */
export function defaultTimeoutMs(api: DeviceApi): number {
  return deviceApiDefinition(api).timeoutMs ?? DEVICE_TIMEOUT_MS.default;
}

/** The request fields an api's REST path carries (`gpio/:number` → `['number']`). */
export function restPathFields(api: DeviceApi): string[] {
  return deviceApiDefinition(api)
    .rest.path.split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1));
}

/** The REST path below `/devices/{name}/`, with the path fields filled in (URL-encoded). */
export function restPath(api: DeviceApi, request: Readonly<Record<string, unknown>>): string {
  return deviceApiDefinition(api)
    .rest.path.split('/')
    .map((segment) => (segment.startsWith(':') ? encodeURIComponent(String(request[segment.slice(1)])) : segment))
    .join('/');
}

/** A GPIO level: firmware sends JSON numbers, never booleans. */
export type GpioValue = 0 | 1;

/** Request payload per api (what the platform publishes on `{deviceId}/{api}`). */
export type DeviceRequestMap = { [A in DeviceApi]: ShapeValue<Table[A]['request']> };

/** Reply payload per api (what the device publishes on `server/{deviceId}/{api}`). */
export type DeviceReplyMap = { [A in DeviceApi]: ShapeValue<Table[A]['reply']> };

export type DeviceRequest<A extends DeviceApi = DeviceApi> = DeviceRequestMap[A];
export type DeviceReply<A extends DeviceApi = DeviceApi> = DeviceReplyMap[A];
