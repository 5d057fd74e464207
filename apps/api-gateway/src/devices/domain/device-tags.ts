/**
 * Device tags: up to 16 `key=value` pairs. The characters are limited so a tag fits in an
 * index key (`<ownerId>/<key>=<value>/<name>`, see device.schema.ts) and sorts there as
 * MongoDB sorts strings: no `/` or `=` in keys, no `/` in values, nothing at or below `"`. No `.` in
 * keys either: a device record holds its tags as an object, and FerretDB refuses a field name with
 * `.` (a key with one was a 500; the contract test found it once the document stated the key rule).
 */
export type DeviceTags = Record<string, string>;

export const MAX_DEVICE_TAGS = 16;
export const TAG_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const TAG_VALUE_PATTERN = /^[A-Za-z0-9_.:@+-]{1,128}$/;

/**
 * The OpenAPI schema of a tag set, exactly as tagsProblem checks it: the key rule is `propertyNames`
 * (JSON Schema, so the document is OpenAPI 3.1; see openapi-31.ts and docs/testing.md).
 */
export const TAGS_SCHEMA = {
  type: 'object',
  maxProperties: MAX_DEVICE_TAGS,
  propertyNames: { pattern: TAG_KEY_PATTERN.source },
  additionalProperties: { type: 'string', pattern: TAG_VALUE_PATTERN.source },
  description: `Up to ${MAX_DEVICE_TAGS} tags; keys match ${TAG_KEY_PATTERN.source}, values ${TAG_VALUE_PATTERN.source}.`,
} as const;

/** `key=value`, as the `?tag=` filter of `GET /devices` takes it. */
export const TAG_FILTER_PATTERN = new RegExp(
  `^${TAG_KEY_PATTERN.source.slice(1, -1)}=${TAG_VALUE_PATTERN.source.slice(1, -1)}$`,
);

/** Why `tags` is not a valid tag set, or null when it is. */
export function tagsProblem(tags: unknown): string | null {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return 'tags must be an object of key: value';
  const entries = Object.entries(tags);
  if (entries.length > MAX_DEVICE_TAGS) return `a device has at most ${MAX_DEVICE_TAGS} tags`;
  for (const [key, value] of entries) {
    if (!TAG_KEY_PATTERN.test(key)) return `tag key "${key}" must be 1-64 letters, digits, _ -`;
    if (typeof value !== 'string' || !TAG_VALUE_PATTERN.test(value)) {
      return `tag value of "${key}" must be 1-128 letters, digits, _ . : @ + -`;
    }
  }
  return null;
}

/** Parses `key=value` (the `?tag=` filter); null when malformed. */
export function parseTagFilter(text: string): [string, string] | null {
  const at = text.indexOf('=');
  if (at < 0) return null;
  const key = text.slice(0, at);
  const value = text.slice(at + 1);
  return TAG_KEY_PATTERN.test(key) && TAG_VALUE_PATTERN.test(value) ? [key, value] : null;
}

export function hasTags(device: { tags: DeviceTags }, wanted: readonly (readonly [string, string])[]): boolean {
  return wanted.every(([key, value]) => device.tags[key] === value);
}
