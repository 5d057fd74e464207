import * as http from 'node:http';
import * as https from 'node:https';
import { CA_PEM } from './apps';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

const agent = new https.Agent({ ca: CA_PEM, keepAlive: true });

/**
 * A small HTTPS JSON client that verifies the server certificate against our CA,
 * as real clients do. `body` is parsed JSON when the response is JSON. An `http:`
 * base URL speaks plain HTTP, as a TLS-terminating proxy does to a gateway with HTTPS=false.
 */
export function request<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const url = new URL(path, baseUrl);
  const plain = url.protocol === 'http:';
  return new Promise((resolve, reject) => {
    const req = (plain ? http.request : https.request)(
      url,
      {
        method,
        agent: plain ? false : agent,
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (/json/.test(String(res.headers['content-type'] ?? '')) && text) body = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function closeClient(): void {
  agent.destroy();
}

/** Signs up a fresh user and returns its access token. */
export async function signUpAndLogIn(
  baseUrl: string,
  username: string,
  password = 'correct-horse-battery',
): Promise<string> {
  const signup = await request(baseUrl, 'POST', '/auth/signup', { body: { username, password } });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${signup.text}`);
  const login = await request<{ accessToken: string }>(baseUrl, 'POST', '/auth/login', {
    body: { username, password },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return login.body.accessToken;
}

let counter = 0;
/** A username unique to this run, so test files never collide. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
