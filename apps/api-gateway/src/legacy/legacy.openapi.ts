import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * How the libpyiotcloud routes appear in the OpenAPI document: under the `legacy`
 * tag, deprecated, with their old bodies (JSON, on GET too) and answers (status 200
 * with `"NG, …"`, or short texts on device routes). Migrating users see them there.
 */

const text = (description: string): SchemaObject => ({ type: 'string', description });
const account = (...fields: string[]): Record<string, SchemaObject> =>
  Object.fromEntries(fields.map((field) => [field, { type: 'string' }]));

/** A legacy body: the addressing fields, and (device routes) the api's own parameters. */
export function legacyBodySchema(fields: string[], extra: Record<string, SchemaObject> = {}): SchemaObject {
  return { type: 'object', required: fields, properties: { ...account(...fields), ...extra } };
}

/** A legacy registry/account route: always 200, `status` is `OK` or `NG, …`. */
export function LegacyRoute(summary: string, body: SchemaObject | null, ok: SchemaObject): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary, deprecated: true }),
    ...(body ? [ApiBody({ schema: body })] : []),
    ApiResponse({ status: 200, description: '`status` is `OK`, or `NG, …` saying what went wrong', schema: ok }),
  );
}

/** A legacy device route: the device's JSON reply, or a short text on error. */
export function LegacyDeviceRoute(api: string, params: Record<string, SchemaObject> = {}): MethodDecorator {
  const plain = (description: string) => ({ description, content: { 'text/plain': { schema: text(description) } } });
  return applyDecorators(
    ApiOperation({ summary: `\`${api}\` (libpyiotcloud)`, deprecated: true }),
    ApiBody({ schema: legacyBodySchema(['username', 'secret', 'devicename'], params) }),
    ApiResponse({ status: 200, description: "The device's JSON reply", schema: { type: 'object' } }),
    ApiResponse({
      status: 400,
      ...plain(
        '`Device secret is not valid!`, `Device is not registered!`, `Device is not running!`, ' +
          '`Device reply is not valid!` or `Device request is not valid!`',
      ),
    }),
    ApiResponse({ status: 429, ...plain('`Device is busy!`') }),
  );
}

export const LEGACY_STATUS: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: text('`OK`, or `NG, …`') },
};

export const LEGACY_LOGIN: SchemaObject = {
  type: 'object',
  required: ['status', 'secret'],
  properties: { status: text('`OK`, or `NG, …`'), secret: text('The legacy secret, or `Unknown`') },
};

export const LEGACY_DEVICE_LIST: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: text('`OK`, or `NG, secret is incorrect`'),
    devices: { type: 'array', items: { type: 'object', properties: account('devicename', 'deviceid', 'cert', 'ca') } },
  },
};

export const LEGACY_REGISTRATION: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: text('`OK`, or `NG, …`'),
    ...account('devicename', 'deviceid', 'cert', 'pkey', 'ca', 'brokerpassword'),
  },
};

export const LEGACY_INDEX: SchemaObject = {
  type: 'object',
  required: ['status', 'message'],
  properties: { status: text('`OK`'), message: { type: 'string' } },
};
