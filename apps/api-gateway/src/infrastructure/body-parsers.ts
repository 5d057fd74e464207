import { PayloadTooLargeException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse as parseQueryString } from 'node:querystring';
import type { Readable } from 'node:stream';
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
 * Reads a request body of at most `limit` bytes. A longer one is read to its end
 * and dropped, and then refused with 413, as Express's body parser did: a client
 * still sending its body then reads the 413 instead of a connection cut under it
 * (Fastify's own limit answers before the body is read and closes the connection).
 */
export function readBody(payload: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    payload.on('end', () =>
      size <= limit
        ? resolve(Buffer.concat(chunks))
        : reject(new PayloadTooLargeException(`Request body is too large (over ${limit} bytes)`)),
    );
    payload.on('error', reject);
  });
}

/**
 * The bodies the gateway reads, up to `limit` bytes each (413 PAYLOAD_TOO_LARGE
 * beyond): JSON, URL-encoded forms, and any other type is read and dropped, as
 * Express did (validation then names what is missing), instead of Fastify's 415.
 * GET bodies are read too: libpyiotcloud's legacy routes (`GET /get_gpio`) carry one.
 */
export function useBodyParsers(app: NestFastifyApplication, limit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHttpMethod('GET', { hasBody: true, overrideExisting: true });
  const parse = (decode: (body: Buffer) => unknown) => async (_request: unknown, payload: Readable) =>
    decode(await readBody(payload, limit));
  // Fastify has JSON and text parsers of its own: replaced, not added to.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    parse((body) => parseJsonBody(body.toString('utf8'))),
  );
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    parse((body) => ({ ...parseQueryString(body.toString('utf8')) })),
  );
  fastify.addContentTypeParser(
    '*',
    parse(() => undefined),
  );
}
