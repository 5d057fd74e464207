import { ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { ROOT } from './infrastructure';
import { request } from './https-client';

/** A free loopback port, as the OS hands them out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface GatewayProcess {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Another gateway replica: a separate process of the real main.ts (ts-node), with
 * its own settings on top of this worker's environment, as `node dist/.../main.js`
 * runs it next to a first replica. BROKER_AUTH_PORT and METRICS_PORT are 0 (off) unless
 * given: one replica answers the broker, and the test's own in-process gateways (and the
 * other replicas) must not collide on those listeners.
 */
export async function spawnGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const settings: Record<string, string> = {
    BROKER_AUTH_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
    PORT: String(port),
  };
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api-gateway/src/main.ts'],
    { cwd: ROOT, env: { ...process.env, ...settings }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const scheme = /^(false|0|no)$/i.test(settings.HTTPS ?? '') ? 'http' : 'https';
  const baseUrl = `${scheme}://localhost:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway on :${port} exited with ${child.exitCode}`);
    const up = await (scheme === 'https' ? request(baseUrl, 'GET', '/health') : plainRequest(baseUrl, 'GET', '/health'))
      .then(() => true)
      .catch(() => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the gateway on :${port} did not listen within 90 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    baseUrl,
    child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Plain HTTP, as a TLS-terminating proxy speaks to a gateway with HTTPS=false. */
export function plainRequest<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, baseUrl),
      {
        method,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * A TCP relay to the database that the test can cut and restore: "the database
 * went away" for the gateways behind it, without disturbing anything else.
 */
export class CuttableRelay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
