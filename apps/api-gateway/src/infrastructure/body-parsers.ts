import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse as parseQueryString } from 'node:querystring';
import { DomainError } from '@app/common';

export class MalformedJsonError extends DomainError {
  readonly code = 'MALFORMED_JSON';
  readonly kind = 'invalid' as const;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** BODY_LIMIT (`64kb`, body-parser's syntax, 1 kb = 1024 bytes) in bytes. */
export function bodyLimitBytes(setting: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(setting.trim());
  if (!match) throw new Error(`BODY_LIMIT must look like 64kb, not ${setting}`);
  return Number(match[1]) * UNITS[match[2].toLowerCase()];
}

/**
 * A JSON body as Express's parser read it (strict): an object or an array, and an
 * empty body is `{}`. Anything else is 400 MALFORMED_JSON.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return {};
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') throw new MalformedJsonError('The body must be a JSON object or array');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new MalformedJsonError(`Malformed JSON body: ${(error as Error).message}`);
  }
}

/**
 * The bodies the gateway reads, up to `limit` bytes each (413 PAYLOAD_TOO_LARGE
 * beyond): JSON, URL-encoded forms, and any other type is read and dropped, as
 * Express did (validation then names what is missing), instead of Fastify's 415.
 * GET bodies are read too: libpyiotcloud's legacy routes (`GET /get_gpio`) carry one.
 */
export function useBodyParsers(app: NestFastifyApplication, limit: number): void {
  app.getHttpAdapter().getInstance().addHttpMethod('GET', { hasBody: true, overrideExisting: true });
  const options = { bodyLimit: limit };
  app.useBodyParser('application/json', options, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body.toString('utf8')));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.useBodyParser('application/x-www-form-urlencoded', options, (_request, body, done) => {
    done(null, { ...parseQueryString(body.toString('utf8')) });
  });
  app.useBodyParser('*', options, (_request, _body, done) => done(null, undefined));
}
