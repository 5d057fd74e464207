/**
 * Input limits the gateway enforces, checked here too so a bad argument is a
 * usage error (exit 2) before any request. They mirror the platform's own
 * definitions (apps/api-gateway/src/devices/domain/device.ts and
 * libs/device-protocol/src/fields.ts); limits.spec.ts fails if they drift.
 * Copied rather than imported so the CLI builds and ships on its own.
 */

/** Device names: 1-64 characters of letters, digits, `_` and `-`. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_GPIO_NUMBER = 255;
/** Epoch seconds in an unsigned 32-bit counter. */
export const MAX_RTC_SECONDS = 0xffff_ffff;
export const MAX_UART_DATA_LENGTH = 1024;
export const MAC_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
/** `?timeout=` bounds of device operations, in ms. */
export const MIN_DEVICE_TIMEOUT_MS = 100;
export const MAX_DEVICE_TIMEOUT_MS = 30_000;
export const DEFAULT_DEVICE_TIMEOUT_MS = 5_000;
