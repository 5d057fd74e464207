/**
 * A small HTTPS JSON client for the api-gateway. It speaks only JSON, keeps
 * connections alive (so only the first call of a session pays for the TLS
 * handshake), verifies the server against the CA it is given, and turns every
 * failure into one of two typed errors:
 *  - ApiError: the gateway answered with a status >= 400 (its `{statusCode, code, message}`);
 *  - GatewayUnreachableError: no answer (refused, DNS, TLS verification, timeout).
 */
import * as https from 'node:https';
import { STATUS_CODES } from 'node:http';
import { ApiError, GatewayUnreachableError } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpResponse {
  status: number;
  /** The parsed JSON body; `undefined` when the body is empty (201/204). */
  body: unknown;
}

export interface RequestOptions {
  /** Serialized as JSON. */
  body?: unknown;
  /** Added to the URL's query string; `undefined` values are left out. */
  query?: Readonly<Record<string, string | number | undefined>>;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Gives up after this long without a complete answer (default: the client's). */
  timeoutMs?: number;
}

/** One Server-Sent Events message. */
export interface StreamMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface StreamOptions {
  token?: string;
  /** Sent as `Last-Event-ID`, to resume after that event. */
  lastEventId?: string;
  onMessage(message: StreamMessage): void;
}

/** What commands need from a transport; HttpClient is the real one, tests may fake it. */
export interface JsonTransport {
  request(method: HttpMethod, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Reads a text/event-stream until the server ends it (resolves) or it breaks (rejects). */
  stream?(path: string, options: StreamOptions): Promise<void>;
}

/** Splits SSE text into messages; returns the unfinished rest. */
export function parseEventStream(buffer: string, onMessage: (message: StreamMessage) => void): string {
  let end: number;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const message: StreamMessage = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) continue;
    message.data = data.join('\n');
    onMessage(message);
  }
  return buffer;
}

export interface HttpClientOptions {
  /** `https://host[:port][/prefix]`. */
  baseUrl: string;
  /** PEM CA certificate(s) to trust instead of the system store. */
  ca?: string | Buffer;
  /** Where `ca` was read from, for error messages. */
  caFile?: string;
  /** Skip server verification. Only for an explicit `--insecure`. */
  insecure?: boolean;
  /** Default request timeout in ms (35 s: longer than the longest device timeout, 30 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 35_000;

const TLS_ERROR_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_|EPROTO$)/;
const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

/** Marks the error we destroy a request with when it takes too long. */
class RequestTimeout extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** ECONNRESET on a reused keep-alive socket: safe to retry an idempotent request once. */
class StaleSocketError extends Error {
  constructor(readonly original: unknown) {
    super('stale keep-alive socket');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `body` has the gateway's error shape. */
export function isApiErrorBody(body: unknown): body is { statusCode: number; code: string; message: string } {
  return (
    isRecord(body) &&
    typeof body.statusCode === 'number' &&
    typeof body.code === 'string' &&
    typeof body.message === 'string'
  );
}

/** The ApiError for an error answer, whatever its body. */
export function toApiError(status: number, body: unknown, rawText: string): ApiError {
  if (isApiErrorBody(body)) return new ApiError(status, body.code, body.message);
  const text = rawText.trim().slice(0, 200);
  return new ApiError(status, `HTTP_${status}`, text || STATUS_CODES[status] || `HTTP ${status}`);
}

function errorCode(error: unknown): string {
  if (error instanceof RequestTimeout) return error.code;
  const code = isRecord(error) ? error.code : undefined;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export class HttpClient implements JsonTransport {
  readonly baseUrl: string;
  private readonly base: URL;
  private readonly agent: https.Agent;
  private readonly caFile?: string;
  private readonly insecure: boolean;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly ca?: string | Buffer;

  constructor(options: HttpClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:') throw new TypeError(`gateway URL must be https:, got ${base.protocol}`);
    this.base = base;
    this.baseUrl = base.origin + base.pathname.replace(/\/+$/, '');
    this.caFile = options.caFile;
    this.ca = options.ca;
    this.insecure = options.insecure === true;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? 'iotcloud-cli';
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      rejectUnauthorized: !this.insecure,
    });
  }

  /** The absolute URL of `path` (which starts with `/`) plus `query`. */
  urlFor(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + path, this.base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async request(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    try {
      return await this.once(method, path, options);
    } catch (error) {
      // A kept-alive socket the server closed while we were sending: retry once on a fresh one.
      if (error instanceof StaleSocketError && IDEMPOTENT.has(method)) return this.once(method, path, options);
      if (error instanceof StaleSocketError) throw this.unreachable(error.original);
      throw error;
    }
  }

  stream(path: string, options: StreamOptions): Promise<void> {
    const url = this.urlFor(path);
    const headers: Record<string, string> = { accept: 'text/event-stream', 'user-agent': this.userAgent };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    return new Promise<void>((resolve, reject) => {
      // Its own connection: a stream holds it for as long as it runs.
      const request = https.request(url, { method: 'GET', headers, agent: false, ...this.tlsOptions() }, (response) => {
        const status = response.statusCode ?? 0;
        let buffer = '';
        response.setEncoding('utf8');
        if (status >= 400) {
          response.on('data', (chunk: string) => (buffer += chunk));
          response.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(buffer);
            } catch {
              body = undefined;
            }
            reject(toApiError(status, body, buffer));
          });
          return;
        }
        const onMessage = (message: StreamMessage) => options.onMessage(message);
        response.on('data', (chunk: string) => {
          buffer = parseEventStream(buffer + chunk, onMessage);
        });
        response.on('error', (error) => reject(this.unreachable(error)));
        response.on('end', () => resolve());
      });
      request.on('error', (error) => reject(this.unreachable(error)));
      request.end();
    });
  }

  private tlsOptions(): https.RequestOptions {
    return { ...(this.ca !== undefined ? { ca: this.ca } : {}), rejectUnauthorized: !this.insecure };
  }

  /** Closes kept-alive connections, so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  private once(method: HttpMethod, path: string, options: RequestOptions): Promise<HttpResponse> {
    const url = this.urlFor(path, options.query);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;

    return new Promise<HttpResponse>((resolve, reject) => {
      const request = https.request(url, { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(this.unreachable(error)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          let parsed = true;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              parsed = false;
            }
          }
          if (status >= 400) {
            reject(toApiError(status, body, text));
          } else if (!parsed) {
            reject(
              new ApiError(
                status,
                'BAD_RESPONSE',
                `${url.origin} answered ${method} ${url.pathname} with a body that is not JSON`,
              ),
            );
          } else {
            resolve({ status, body });
          }
        });
      });
      request.setTimeout(timeoutMs, () => request.destroy(new RequestTimeout(timeoutMs)));
      request.on('error', (error) => {
        if (errorCode(error) === 'ECONNRESET' && request.reusedSocket) reject(new StaleSocketError(error));
        else reject(this.unreachable(error));
      });
      request.end(payload);
    });
  }

  /** Why we got no answer, in words that say what to do. */
  private unreachable(error: unknown): GatewayUnreachableError {
    const code = errorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    const url = this.baseUrl;
    if (error instanceof RequestTimeout) {
      return new GatewayUnreachableError(
        url,
        'GATEWAY_TIMEOUT',
        code,
        `The gateway at ${url} did not answer within ${error.timeoutMs} ms. Is it running and healthy? (\`npm start\` brings the platform up)`,
      );
    }
    if (TLS_ERROR_CODE.test(code)) {
      const trusted = this.caFile ? `the CA in ${this.caFile}` : 'the system CA store';
      return new GatewayUnreachableError(
        url,
        'TLS_ERROR',
        code,
        `TLS verification of ${url} failed: ${detail} (${code}). The client trusts ${trusted}; ` +
          'pass the platform CA (certs/rootca.pem) with --ca FILE or IOTCLOUD_CA, and check the URL ' +
          '(`npm start` creates the certificates and brings the gateway up).',
      );
    }
    const what = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : detail;
    return new GatewayUnreachableError(
      url,
      'GATEWAY_UNREACHABLE',
      code,
      `Cannot reach the gateway at ${url}: ${what} (${code}). Is it running? Start the platform with \`npm start\`, ` +
        'or point --url / IOTCLOUD_URL at it.',
    );
  }
}
