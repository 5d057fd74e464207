/**
 * The device name rule of the gateway's registry, checked here too so a bad
 * name is a usage error (exit 2) before any request; likewise the most devices a job takes. The registry's rule lives
 * in the gateway app (apps/api-gateway/src/devices/domain/device.ts), which the
 * CLI does not load; limits.spec.ts fails if they drift. The device API's own
 * limits come from the protocol library (@app/device-protocol).
 */

/** Device names: 1-64 characters of letters, digits, `_` and `-`. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The most devices one job takes (the gateway's MAX_JOB_DEVICES). */
export const MAX_JOB_DEVICES = 100_000;
