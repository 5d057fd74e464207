import { randomBytes } from 'node:crypto';

const DEVICE_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A new device id: 128 random bits as 32 lowercase hex characters. Such an id
 * is a valid MQTT client id and a single routing-key word (no `.`, `/`, `#`, `+`).
 */
export function generateDeviceId(): string {
  return randomBytes(16).toString('hex');
}

export function isValidDeviceId(value: string): boolean {
  return typeof value === 'string' && DEVICE_ID_PATTERN.test(value);
}
