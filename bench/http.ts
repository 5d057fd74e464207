/**
 * The bench's HTTPS client (keep-alive, verifying the server against the
 * platform CA, as real clients do) and the small statistics helpers every
 * scenario uses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
  /** Client-side time from sending the request to the last byte of the response. */
  ms: number;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  /** Per-request timeout (socket inactivity and overall); default 30 s. */
  timeoutMs?: number;
}

/** A request that got no HTTP answer (connection refused, reset, timeout). */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

export interface ClientOptions {
  /** Sockets this client may open at once; 1 models one real client with one keep-alive connection. */
  maxSockets?: number;
}

/** How long a keep-alive socket may stay idle: under the gateway's keep-alive timeout (Node's default, 5 s). */
const IDLE_SOCKET_TIMEOUT_MS = 4000;

/** One HTTPS client: its own keep-alive agent, so its connection(s) are reused across calls. */
export class HttpsClient {
  readonly agent: https.Agent;

  constructor(
    readonly baseUrl: string,
    caPem: string,
    options: ClientOptions = {},
  ) {
    this.agent = new https.Agent({
      ca: caPem,
      keepAlive: true,
      maxSockets: options.maxSockets ?? Infinity,
      scheduling: 'lifo',
      // An idle keep-alive socket is closed before the server's keep-alive timeout (Node's 5 s) would
      // close it under a request just sent on it (ECONNRESET), as well-behaved clients do.
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const url = new URL(path, this.baseUrl);
    return new Promise<HttpResponse>((resolve, reject) => {
      const started = performance.now();
      const req = https.request(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: Error) => {
          clearTimeout(timer);
          reject(toNetworkError(error));
        });
        res.on('end', () => {
          clearTimeout(timer);
          const ms = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (/json/i.test(String(res.headers['content-type'] ?? '')) && text !== '') {
            try {
              json = JSON.parse(text) as unknown;
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms });
        });
      });
      const timer = setTimeout(
        () => req.destroy(new NetworkError(`no answer within ${timeoutMs} ms`, 'TIMEOUT')),
        timeoutMs,
      );
      req.on('error', (error: Error) => {
        clearTimeout(timer);
        reject(toNetworkError(error));
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

function toNetworkError(error: Error): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = (error as { code?: unknown }).code;
  return new NetworkError(error.message, typeof code === 'string' ? code : 'NETWORK');
}

/**
 * The error code of a failed call: the platform's `code` from the error body
 * (`DEVICE_BUSY`, ...), else `HTTP_<status>`; for a call without an answer,
 * `NETWORK_<code>` (`NETWORK_ECONNRESET`, `NETWORK_TIMEOUT`).
 */
export function errorCodeOf(outcome: HttpResponse | Error): string {
  if (outcome instanceof Error) {
    const code = outcome instanceof NetworkError ? outcome.code : (outcome as { code?: unknown }).code;
    return `NETWORK_${typeof code === 'string' && code !== '' ? code : 'ERROR'}`;
  }
  const body = outcome.json;
  if (typeof body === 'object' && body !== null && 'code' in body) {
    const code = body.code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  }
  return `HTTP_${outcome.status}`;
}

/** `Server-Timing: device;dur=1.23, db;dur=4` → `{device: 1.23, db: 4}`. Entries without a duration are skipped. */
export function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const entry of value.split(',')) {
      const [name, ...params] = entry.split(';').map((part) => part.trim());
      if (!name) continue;
      for (const param of params) {
        const match = /^dur=([0-9]+(?:\.[0-9]+)?)$/i.exec(param);
        if (match) result[name] = Number(match[1]);
      }
    }
  }
  return result;
}

/**
 * The p-th percentile (0 < p <= 100) of ascending `sorted` values, by the
 * nearest-rank method: the smallest value with at least p % of the values at or
 * below it. NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** count, min, mean, p50, p90, p99 and max of `values` (any order; not modified). NaN fields when empty. */
export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  const count = list.length;
  let total = 0;
  for (const value of list) total += value;
  return {
    count,
    min: count > 0 ? list[0] : Number.NaN,
    mean: count > 0 ? total / count : Number.NaN,
    p50: percentile(list, 50),
    p90: percentile(list, 90),
    p99: percentile(list, 99),
    max: count > 0 ? list[count - 1] : Number.NaN,
  };
}

/** Bounded concurrency: the simulator's helper, shared rather than written twice. */
export { forEachBounded } from '../apps/device-simulator/src';

/** Counts error codes; `toMetrics` gives `errors` (total) and `errors.<CODE>` entries. */
export class ErrorCounter {
  private readonly counts = new Map<string, number>();

  add(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  toMetrics(prefix = 'errors'): Record<string, number> {
    const metrics: Record<string, number> = { [prefix]: this.total };
    for (const [code, count] of [...this.counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
      metrics[`${prefix}.${code}`] = count;
    }
    return metrics;
  }

  /** `DEVICE_BUSY x 3, HTTP_500 x 1` for messages. */
  describe(): string {
    return [...this.counts.entries()].map(([code, count]) => `${code} x ${count}`).join(', ');
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
