/**
 * Small hand-written field checks. Each one takes an untrusted JSON value and
 * either returns it normalized or says, in words, why it is unacceptable. The
 * reason is phrased to follow `field "x"` in an error message.
 */

export type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * The JSON Schema (OpenAPI 3 subset) of one field: what its check accepts, so
 * the REST documentation and clients state the same limits the check enforces.
 */
export interface FieldSchema {
  readonly type: 'integer' | 'string';
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly (string | number)[];
  readonly pattern?: string;
  readonly format?: string;
  readonly maxLength?: number;
  readonly description?: string;
  readonly example?: string | number;
}

/** Validates (and normalizes) one field's value; `schema` describes what it accepts. */
export interface FieldCheck<T> {
  (value: unknown): Check<T>;
  readonly schema: FieldSchema;
}

/** One check per field of T; every field listed is required. */
export type Shape<T> = { readonly [K in keyof T]-?: FieldCheck<T[K]> };

/** The value type a shape reads: `{ number: FieldCheck<number> }` → `{ number: number }`. */
export type ShapeValue<S> = { -readonly [K in keyof S]: S[K] extends FieldCheck<infer T> ? T : never };

/** Highest GPIO number accepted: pin indexes are one byte in firmware (the FT900 has fewer than 100 pads). */
export const MAX_GPIO_NUMBER = 255;
/** Highest RTC value accepted: epoch seconds in an unsigned 32-bit counter. */
export const MAX_RTC_SECONDS = 0xffff_ffff;
/** Longest `data` string for write_uart, in characters (Unicode code points, as JSON Schema's maxLength counts). */
export const MAX_UART_DATA_LENGTH = 1024;
/** Six hex octets separated by `:` (either case). */
export const MAC_ADDRESS_PATTERN = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = <T>(reason: string): Check<T> => ({ ok: false, reason });

function fieldCheck<T>(schema: FieldSchema, check: (value: unknown) => Check<T>): FieldCheck<T> {
  return Object.assign(check, { schema });
}

export function integerInRange(min: number, max: number): FieldCheck<number> {
  const reason = `must be an integer from ${min} to ${max}`;
  return fieldCheck({ type: 'integer', minimum: min, maximum: max }, (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? ok(value + 0) // + 0 turns -0 into 0
      : fail(reason),
  );
}

export function literal<L extends string>(expected: L): FieldCheck<L> {
  return fieldCheck({ type: 'string', enum: [expected] }, (value) =>
    value === expected ? ok(expected) : fail(`must be "${expected}"`),
  );
}

export const gpioValue: FieldCheck<0 | 1> = fieldCheck(
  { type: 'integer', enum: [0, 1], description: '0 (low) or 1 (high)' },
  (value) => (value === 0 || value === 1 ? ok(value === 1 ? 1 : 0) : fail('must be 0 or 1')), // -0 becomes 0
);

/** Six hex octets separated by `:`; upper case accepted, returned in lower case. */
export const macAddress: FieldCheck<string> = fieldCheck(
  { type: 'string', pattern: MAC_ADDRESS_PATTERN.source, example: 'aa:bb:cc:dd:ee:ff' },
  (value) =>
    typeof value === 'string' && MAC_ADDRESS_PATTERN.test(value)
      ? ok(value.toLowerCase())
      : fail('must be a MAC address of six hex octets like "aa:bb:cc:dd:ee:ff"'),
);

// Decimal octets without leading zeros (those read as octal in some C libraries).
const IPV4_PATTERN = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** Dotted-quad IPv4 address, each octet 0..255 in plain decimal. */
export const ipv4Address: FieldCheck<string> = fieldCheck(
  { type: 'string', format: 'ipv4', pattern: IPV4_PATTERN.source, example: '192.168.1.10' },
  (value) => {
    const match = typeof value === 'string' ? IPV4_PATTERN.exec(value) : null;
    return match && match.slice(1).every((octet) => Number(octet) <= 255)
      ? ok(match[0])
      : fail('must be a dotted-quad IPv4 address like "192.168.1.10" (octets 0 to 255, no leading zeros)');
  },
);

/** A string of at most `maxLength` code points (not UTF-16 units: an emoji is one character, as in its schema). */
export function boundedString(maxLength: number): FieldCheck<string> {
  return fieldCheck({ type: 'string', maxLength }, (value) => {
    if (typeof value !== 'string') return fail('must be a string');
    // Code points, counted only when the UTF-16 length could be over (each code point is 1 or 2 units).
    const length = value.length <= maxLength ? value.length : [...value].length;
    return length <= maxLength ? ok(value) : fail(`must be a string of at most ${maxLength} characters`);
  });
}

/** A plain JSON object: not null, not an array, not a Buffer/Date/class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export type ShapeResult<T> = { ok: true; value: T } | { ok: false; field: string; reason: string };

/**
 * Reads every field of `shape` from `source`. Returns a new object holding only
 * those fields (extra keys are dropped), or the first field that is wrong.
 */
export function readShape<T>(shape: Shape<T>, source: Record<string, unknown>): ShapeResult<T> {
  const result: Record<string, unknown> = {};
  for (const field of Object.keys(shape)) {
    if (!Object.hasOwn(source, field) || source[field] === undefined) {
      return { ok: false, field, reason: 'is required' };
    }
    const check = (shape as Record<string, FieldCheck<unknown>>)[field];
    const outcome = check(source[field]);
    if (!outcome.ok) return { ok: false, field, reason: outcome.reason };
    result[field] = outcome.value;
  }
  // Every key of T was filled in above from its own check, so the cast holds.
  return { ok: true, value: result as T };
}
