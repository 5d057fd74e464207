import { DeviceApi, DeviceReplyMap, DeviceRequestMap, isDeviceApi } from './apis';
import { DeviceBadReplyError, InvalidDeviceRequestError } from './errors';
import {
  MAX_GPIO_NUMBER,
  MAX_RTC_SECONDS,
  MAX_UART_DATA_LENGTH,
  Shape,
  boundedString,
  gpioValue,
  integerInRange,
  ipv4Address,
  isPlainObject,
  literal,
  macAddress,
  readShape,
} from './fields';

/** The request and reply shapes of one api. */
export interface DeviceApiSchema<A extends DeviceApi> {
  readonly request: Shape<DeviceRequestMap[A]>;
  readonly reply: Shape<DeviceReplyMap[A]>;
}

const gpioNumber = integerInRange(0, MAX_GPIO_NUMBER);
const rtcSeconds = integerInRange(0, MAX_RTC_SECONDS);
const uartData = boundedString(MAX_UART_DATA_LENGTH);
const noFields = {} as const;

/**
 * The single source of truth for every api's payloads. The mapped type makes
 * the compiler check each entry against DeviceRequestMap / DeviceReplyMap.
 */
export const DEVICE_API_SCHEMAS: { readonly [A in DeviceApi]: DeviceApiSchema<A> } = {
  get_status: { request: noFields, reply: { status: literal('running') } },
  set_status: { request: { status: literal('restart') }, reply: { status: literal('restarting') } },
  get_gpio: { request: { number: gpioNumber }, reply: { number: gpioNumber, value: gpioValue } },
  set_gpio: {
    request: { number: gpioNumber, value: gpioValue },
    reply: { number: gpioNumber, value: gpioValue },
  },
  get_rtc: { request: noFields, reply: { value: rtcSeconds } },
  set_rtc: { request: { value: rtcSeconds }, reply: { value: rtcSeconds } },
  get_mac: { request: noFields, reply: { value: macAddress } },
  set_mac: { request: { value: macAddress }, reply: { value: macAddress } },
  get_ip: { request: noFields, reply: { value: ipv4Address } },
  get_subnet: { request: noFields, reply: { value: ipv4Address } },
  get_gateway: { request: noFields, reply: { value: ipv4Address } },
  write_uart: { request: { data: uartData }, reply: { data: uartData } },
};

type Side = 'request' | 'reply';

/** Validates one side of one api; `raise` builds the side's error class. */
function parse<A extends DeviceApi, T>(
  api: A,
  side: Side,
  pick: (schema: DeviceApiSchema<A>) => Shape<T>,
  payload: unknown,
  raise: (message: string, field: string | undefined, reason: string) => Error,
): T {
  if (!isDeviceApi(api)) {
    throw raise(`unknown device api "${String(api)}"`, undefined, 'unknown api');
  }
  if (!isPlainObject(payload)) {
    throw raise(`${api} ${side}: payload must be a JSON object`, undefined, 'payload must be a JSON object');
  }
  const outcome = readShape<T>(pick(DEVICE_API_SCHEMAS[api]), payload);
  if (!outcome.ok) {
    throw raise(`${api} ${side}: field "${outcome.field}" ${outcome.reason}`, outcome.field, outcome.reason);
  }
  return outcome.value;
}

function details(api: string, field: string | undefined, reason: string) {
  return field === undefined ? { api, reason } : { api, field, reason };
}

/**
 * Validates a request before it is sent to a device. Returns a new object with
 * only the api's fields (normalized), or throws InvalidDeviceRequestError.
 */
export function parseDeviceRequest<A extends DeviceApi>(api: A, payload: unknown): DeviceRequestMap[A] {
  return parse(
    api,
    'request',
    (schema) => schema.request,
    payload,
    (message, field, reason) => new InvalidDeviceRequestError(message, details(String(api), field, reason)),
  );
}

/**
 * Validates a device's reply. Returns a new object with only the api's fields
 * (normalized), or throws DeviceBadReplyError.
 */
export function parseDeviceReply<A extends DeviceApi>(api: A, payload: unknown): DeviceReplyMap[A] {
  return parse(
    api,
    'reply',
    (schema) => schema.reply,
    payload,
    (message, field, reason) => new DeviceBadReplyError(message, details(String(api), field, reason)),
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a reply body as published by a device: UTF-8 JSON. Trailing NUL
 * bytes are ignored (C firmware sometimes publishes `strlen + 1` bytes).
 * Throws DeviceBadReplyError when the body is not JSON or does not validate.
 */
export function decodeDeviceReply<A extends DeviceApi>(api: A, body: Buffer | string): DeviceReplyMap[A] {
  let payload: unknown;
  try {
    const text = typeof body === 'string' ? body : utf8.decode(body);
    payload = JSON.parse(text.replace(/\0+$/, ''));
  } catch {
    const reason = 'reply is not valid UTF-8 JSON';
    throw new DeviceBadReplyError(`${String(api)} reply: ${reason}`, { api: String(api), reason });
  }
  return parseDeviceReply(api, payload);
}

/** Serializes a payload for the wire: JSON, UTF-8. */
export function encodePayload(payload: object): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
