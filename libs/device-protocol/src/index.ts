/**
 * @app/device-protocol: the wire protocol between the platform and devices,
 * wire-compatible with existing FT900 firmware. It owns the api names, the
 * request/reply payload types and their validation, the JSON encoding, the
 * MQTT topics / AMQP routing keys / queue names, and device id format.
 * It does no I/O: transports (MQTT, AMQP) live in the apps.
 * Firmware-facing description: docs/device-protocol.md.
 */
export * from './apis';
export * from './errors';
export { MAC_ADDRESS_PATTERN, MAX_GPIO_NUMBER, MAX_RTC_SECONDS, MAX_UART_DATA_LENGTH } from './fields';
export type { Check, FieldCheck, FieldSchema } from './fields';
export { decodeDeviceReply, encodePayload, parseDeviceReply, parseDeviceRequest } from './payloads';
export * from './routing';
export * from './json-schema';
export * from './device-id';
