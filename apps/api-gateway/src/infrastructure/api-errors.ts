import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** The stable error codes a route can answer with, by HTTP status. */
export type ErrorCodes = Readonly<Partial<Record<number, readonly string[]>>>;

/** What any route with a JSON body can answer before its handler runs (validation pipe, body parser). */
export const BODY_ERRORS: ErrorCodes = {
  400: ['VALIDATION_FAILED', 'MALFORMED_JSON', 'BODY_TOO_DEEP'],
  413: ['PAYLOAD_TOO_LARGE'],
};
/** Routes behind JwtAuthGuard. */
export const AUTH_ERRORS: ErrorCodes = { 401: ['UNAUTHORIZED'] };
/** Routes that need the database: it may be out of reach (retry shortly). */
export const DATABASE_ERRORS: ErrorCodes = { 503: ['DATABASE_UNAVAILABLE'] };
/** Routes with a `{name}` (or other) path parameter or a query, checked by the validation pipe. */
export const PARAM_ERRORS: ErrorCodes = { 400: ['VALIDATION_FAILED'] };

const MEANING: Record<number, string> = {
  400: 'The request breaks the documented constraints',
  401: 'Missing, invalid or expired credentials',
  404: 'No such resource of yours',
  405: 'The path does not take this method (see the Allow header)',
  409: 'Conflicts with an existing resource',
  413: 'The body is larger than BODY_LIMIT',
  429: 'Too many requests',
  502: 'The device answered with something that breaks the protocol',
  503: 'A dependency cannot be reached now',
  504: 'A dependency did not answer in time',
};

/** The one error shape, `{statusCode, code, message, details?}`, with the codes this status can carry. */
export function errorSchema(status: number, codes: readonly string[]): SchemaObject {
  return {
    type: 'object',
    required: ['statusCode', 'code', 'message'],
    properties: {
      statusCode: { type: 'integer', enum: [status], description: 'The HTTP status, repeated.' },
      code: { type: 'string', enum: [...codes], description: 'Stable, machine-readable: clients may switch on it.' },
      message: { type: 'string', description: 'Human-readable explanation.' },
      details: { type: 'object', additionalProperties: true, description: 'Facts about the error, by code.' },
    },
  };
}

/** Merges code sets: a status named by several sets can answer with any of their codes. */
export function mergeErrorCodes(...sets: ErrorCodes[]): Record<number, string[]> {
  const merged: Record<number, string[]> = {};
  for (const set of sets) {
    for (const [status, codes] of Object.entries(set)) {
      const list = (merged[Number(status)] ??= []);
      for (const code of codes ?? []) if (!list.includes(code)) list.push(code);
    }
  }
  return merged;
}

/**
 * Documents every error a route can answer with: one response per status, with its codes.
 * Errors are always `application/json`, also on a route that `@ApiProduces` something else
 * (`GET /events` streams `text/event-stream`, but its 401 is JSON): the content is given
 * explicitly, so the route's produces list does not apply to it.
 */
export function ApiErrors(...sets: ErrorCodes[]): MethodDecorator & ClassDecorator {
  const merged = mergeErrorCodes(...sets);
  return applyDecorators(
    ...Object.entries(merged).map(([status, codes]) =>
      ApiResponse({
        status: Number(status),
        description: `${MEANING[Number(status)] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}`,
        content: { 'application/json': { schema: errorSchema(Number(status), codes) } },
      }),
    ),
  );
}
