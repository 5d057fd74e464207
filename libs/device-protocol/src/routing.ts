import { DeviceApi, isDeviceApi } from './apis';
import { isValidDeviceId } from './device-id';

/**
 * Where requests and replies travel. MQTT topics use `/`; RabbitMQ's MQTT
 * plugin maps them to `.`-separated routing keys on the `amq.topic` exchange,
 * so an MQTT device and an AMQP device see the same traffic.
 */
export const DEVICE_EXCHANGE = 'amq.topic';

/** QoS of the device's subscription (and of the queue name the MQTT plugin picks). */
export const DEVICE_SUBSCRIPTION_QOS = 1;

/** First word of every reply topic / routing key. */
export const REPLY_PREFIX = 'server';

/** Binds a queue to every device's replies. */
export const REPLY_BINDING_KEY = `${REPLY_PREFIX}.#`;

export interface DeviceAddress {
  deviceId: string;
  api: DeviceApi;
}

/** Ids and apis are interpolated into topics: a bad one is a bug, not a user error. */
function assertDeviceId(deviceId: string): void {
  if (!isValidDeviceId(deviceId)) {
    throw new RangeError(`invalid device id ${JSON.stringify(deviceId)}: expected 32 lowercase hex characters`);
  }
}

function assertAddress(deviceId: string, api: DeviceApi): void {
  assertDeviceId(deviceId);
  if (!isDeviceApi(api)) throw new RangeError(`unknown device api ${JSON.stringify(api)}`);
}

/** MQTT topic the platform publishes a request on: `{deviceId}/{api}`. */
export function requestTopic(deviceId: string, api: DeviceApi): string {
  assertAddress(deviceId, api);
  return `${deviceId}/${api}`;
}

/** AMQP routing key of a request on `amq.topic`: `{deviceId}.{api}`. */
export function requestRoutingKey(deviceId: string, api: DeviceApi): string {
  assertAddress(deviceId, api);
  return `${deviceId}.${api}`;
}

/** MQTT topic a device publishes its reply on: `server/{deviceId}/{api}`. */
export function replyTopic(deviceId: string, api: DeviceApi): string {
  assertAddress(deviceId, api);
  return `${REPLY_PREFIX}/${deviceId}/${api}`;
}

/** AMQP routing key of a reply on `amq.topic`: `server.{deviceId}.{api}`. */
export function replyRoutingKey(deviceId: string, api: DeviceApi): string {
  assertAddress(deviceId, api);
  return `${REPLY_PREFIX}.${deviceId}.${api}`;
}

/** MQTT topic filter a device subscribes to (QoS 1): `{deviceId}/#`. */
export function deviceSubscriptionTopic(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${deviceId}/#`;
}

/** Binding key of a device's queue on `amq.topic`: `{deviceId}.#`. */
export function deviceBindingKey(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${deviceId}.#`;
}

/**
 * The device's queue: the name RabbitMQ's MQTT plugin gives a QoS 1
 * subscription of client id `deviceId`, so MQTT and AMQP devices share it.
 */
export function deviceQueueName(deviceId: string): string {
  assertDeviceId(deviceId);
  return `mqtt-subscription-${deviceId}qos${DEVICE_SUBSCRIPTION_QOS}`;
}

function toAddress(deviceId: string | undefined, api: string | undefined): DeviceAddress | null {
  if (deviceId === undefined || api === undefined) return null;
  return isValidDeviceId(deviceId) && isDeviceApi(api) ? { deviceId, api } : null;
}

function parseReply(name: string, separator: string): DeviceAddress | null {
  if (typeof name !== 'string') return null;
  const words = name.split(separator);
  return words.length === 3 && words[0] === REPLY_PREFIX ? toAddress(words[1], words[2]) : null;
}

function parseRequest(name: string, separator: string): DeviceAddress | null {
  if (typeof name !== 'string') return null;
  const words = name.split(separator);
  return words.length === 2 ? toAddress(words[0], words[1]) : null;
}

/** `server.{deviceId}.{api}` → address; null for anything else. */
export function parseReplyRoutingKey(routingKey: string): DeviceAddress | null {
  return parseReply(routingKey, '.');
}

/** `{deviceId}.{api}` → address; null for anything else. For simulators and AMQP devices. */
export function parseRequestRoutingKey(routingKey: string): DeviceAddress | null {
  return parseRequest(routingKey, '.');
}

/** `server/{deviceId}/{api}` → address; null for anything else. */
export function parseReplyTopic(topic: string): DeviceAddress | null {
  return parseReply(topic, '/');
}

/** `{deviceId}/{api}` → address; null for anything else. For simulators and MQTT devices. */
export function parseRequestTopic(topic: string): DeviceAddress | null {
  return parseRequest(topic, '/');
}
