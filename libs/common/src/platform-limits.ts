/**
 * Limits of the platform's API that its clients check too, before sending (the CLI makes a
 * bad name or an oversized job a usage error): one statement each, for the gateway and them.
 */

/** Device names: 1-64 characters of letters, digits, `_` and `-`. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The most devices one job takes. */
export const MAX_JOB_DEVICES = 100_000;
