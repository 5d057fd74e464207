/** The processes the fault suite runs and breaks: the infra scripts, app replicas, and `npm start`. */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { HttpsClient, sleep } from '../../bench/http';
import { prefixLines } from '../../bench/stack';

export const ROOT = path.resolve(__dirname, '../..');

export function log(line: string): void {
  process.stderr.write(`[faults] ${line}\n`);
}

/** Runs a command to completion; resolves with its exit code and stdout. */
export function run(command: string, args: string[], timeoutMs = 900_000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    prefixLines(child.stderr, '  ');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

export async function infra(script: 'broker.sh' | 'database.sh' | 'setup.sh', ...args: string[]): Promise<boolean> {
  return (await run('bash', [path.join(ROOT, 'infra', script), ...args])).code === 0;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

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

const MAINS = {
  gateway: 'dist/apps/api-gateway/apps/api-gateway/src/main.js',
  'device-command': 'dist/apps/device-command/apps/device-command/src/main.js',
} as const;
export type AppName = keyof typeof MAINS;

/** Builds the apps when their output is missing or older than the sources. */
export async function buildApps(): Promise<void> {
  for (const app of ['device-command', 'api-gateway', 'device-simulator']) {
    const main = path.join(ROOT, `dist/apps/${app}/apps/${app}/src/main.js`);
    const stale =
      !existsSync(main) ||
      (await run('find', [`apps/${app}`, 'libs', 'tsconfig.json', '-newer', main, '-print', '-quit'])).stdout.trim() !==
        '';
    if (!stale) continue;
    log(`building ${app}`);
    if ((await run(path.join(ROOT, 'node_modules/.bin/nest'), ['build', app])).code !== 0)
      throw new Error(`nest build ${app} failed`);
  }
}

/** One replica of an app, from the build, as an operator runs it. */
export class AppProcess {
  private child?: ChildProcess;
  private exited = Promise.resolve();
  /** Exits nobody asked for (a crash). */
  unexpectedExits = 0;
  private expectingExit = false;
  /** Everything it logged (LOG_LEVEL=warn: warnings and errors only). */
  readonly output: string[] = [];

  constructor(
    readonly label: string,
    private readonly app: AppName,
    private readonly env: Record<string, string>,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.expectingExit = false;
    const child = spawn(process.execPath, [MAINS[this.app]], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(child.stdout, `[${this.label}] `);
    prefixLines(child.stderr, `[${this.label}] `);
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk: Buffer | string) => {
        if (this.output.length < 10_000) this.output.push(chunk.toString());
      });
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) {
          this.unexpectedExits += 1;
          log(`${this.label} exited unexpectedly (${String(code ?? signal)})`);
        }
        resolve();
      }),
    );
    this.child = child;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill(signal);
    await this.exited;
  }
}

/** Polls GET /health until the gateway answers 200, up to `ms`; false if it never did. */
export async function waitHealthy(baseUrl: string, caPem: string, ms: number): Promise<boolean> {
  const client = new HttpsClient(baseUrl, caPem, { maxSockets: 1 });
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      const ok = await client
        .request('GET', '/health', { timeoutMs: 3000 })
        .then((res) => res.status === 200)
        .catch(() => false);
      if (ok) return true;
      await sleep(500);
    }
    return false;
  } finally {
    client.close();
  }
}

/** `npm start` in its own process group, as a terminal or a supervisor runs it. */
export class NpmStart {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;

  constructor(label: string) {
    this.child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: process.env,
      detached: true, // its own process group, which the signals below go to
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(this.child.stdout as NodeJS.ReadableStream as never, `[${label}] `);
    prefixLines(this.child.stderr as NodeJS.ReadableStream as never, `[${label}] `);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Ctrl-C in a terminal, or SIGTERM from a supervisor: the signal goes to the whole group. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-(this.child.pid as number), signal);
    } catch {
      // already gone
    }
  }

  /** Whether any process of the group is alive. */
  groupAlive(): boolean {
    try {
      process.kill(-(this.child.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  }
}
