import { DeviceApi, DeviceReplyMap, DeviceRequestMap, deviceApiDefinition, isDeviceApi } from './apis';
import { DeviceBadReplyError, InvalidDeviceRequestError } from './errors';
import { isPlainObject, readShape } from './fields';

type Side = 'request' | 'reply';

/** Validates one side of one api; `raise` builds the side's error class. */
function parse<T>(
  api: DeviceApi,
  side: Side,
  payload: unknown,
  raise: (message: string, field: string | undefined, reason: string) => Error,
  exact = false,
): T {
  if (!isDeviceApi(api)) {
    throw raise(`unknown device api "${String(api)}"`, undefined, 'unknown api');
  }
  if (!isPlainObject(payload)) {
    throw raise(`${api} ${side}: payload must be a JSON object`, undefined, 'payload must be a JSON object');
  }
  const shape = deviceApiDefinition(api)[side];
  const unknown = exact ? Object.keys(payload).find((field) => !Object.hasOwn(shape, field)) : undefined;
  if (unknown !== undefined) {
    const reason = `is not a field of ${api}`;
    throw raise(`${api} ${side}: field "${unknown}" ${reason}`, unknown, reason);
  }
  const outcome = readShape(shape, payload);
  if (!outcome.ok) {
    throw raise(`${api} ${side}: field "${outcome.field}" ${outcome.reason}`, outcome.field, outcome.reason);
  }
  // DeviceRequestMap and DeviceReplyMap are derived from these very checks, so the cast holds.
  return outcome.value as T;
}

function details(api: string, field: string | undefined, reason: string) {
  return field === undefined ? { api, reason } : { api, field, reason };
}

/**
 * Validates a request before it is sent to a device. Returns a new object with
 * only the api's fields (normalized), or throws InvalidDeviceRequestError.
 * Other fields are dropped, or with `exact` refused (as deviceRequestJsonSchema
 * says: a caller's request is checked exactly, a payload read back is not).
 */
export function parseDeviceRequest<A extends DeviceApi>(
  api: A,
  payload: unknown,
  options: { exact?: boolean } = {},
): DeviceRequestMap[A] {
  return parse(
    api,
    'request',
    payload,
    (message, field, reason) => new InvalidDeviceRequestError(message, details(String(api), field, reason)),
    options.exact === true,
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
