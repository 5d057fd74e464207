/**
 * The platform under test. When a gateway already answers `GET /health` on
 * https://localhost:$PORT the bench uses that stack as it is; otherwise it
 * brings one up the way `npm start` does (setup, broker, database, build, both
 * apps as child processes) and `stop()` takes down exactly what it started.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { HttpsClient, NetworkError, sleep } from './http';
import { findBrokerPid, findListeningPid, findNodeProcess } from './procfs';
import { progress } from './progress';

export const ROOT = path.resolve(__dirname, '..');

const APPS = {
  deviceCommand: {
    project: 'device-command',
    main: 'dist/apps/device-command/apps/device-command/src/main.js',
    label: 'device-command',
  },
  gateway: { project: 'api-gateway', main: 'dist/apps/api-gateway/apps/api-gateway/src/main.js', label: 'gateway' },
} as const;
type AppKey = keyof typeof APPS;

export interface StackOptions {
  /** Start the apps with `--cpu-prof` into this folder (requires that the bench starts them). */
  profileDir?: string;
  /** Build the apps before starting them (default true). */
  build: boolean;
  signal?: AbortSignal;
}

export interface StackPids {
  gateway?: number;
  deviceCommand?: number;
  broker?: number;
  /** The local database (not when MONGODB_URI points elsewhere). */
  database?: number;
}

/** Forwards a child's output to our stderr, one prefixed line at a time; keeps the last lines for errors. */
export function prefixLines(stream: Readable, prefix: string, keep?: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      process.stderr.write(`${prefix}${line}\n`);
      if (keep) {
        keep.push(line);
        if (keep.length > 40) keep.shift();
      }
    }
  });
  stream.on('end', () => {
    if (partial) process.stderr.write(`${prefix}${partial}\n`);
  });
}

/** Runs a command to completion; its stdout is returned (or forwarded to stderr), its stderr forwarded. */
function run(
  command: string,
  args: string[],
  options: { captureStdout?: boolean; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    if (options.captureStdout) {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (stdout += chunk));
    } else {
      child.stdout.pipe(process.stderr, { end: false });
    }
    child.stderr.pipe(process.stderr, { end: false });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${command} ${args.join(' ')} took longer than ${Math.round(options.timeoutMs / 1000)} s`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout });
    });
  });
}

async function infra(script: string, ...args: string[]): Promise<boolean> {
  const timeoutMs = args[0] === 'status' ? 60_000 : 20 * 60_000;
  const { code } = await run('bash', [path.join(ROOT, 'infra', script), ...args], { timeoutMs });
  return code === 0;
}

export type HealthState =
  { state: 'ok' } | { state: 'unhealthy'; status: number; body: string } | { state: 'down'; reason: string };

/** One `GET /health`: ok (200), unhealthy (answers, not 200) or down (no answer). */
export async function probeHealth(baseUrl: string, caPem: string, timeoutMs = 5000): Promise<HealthState> {
  const client = new HttpsClient(baseUrl, caPem, { maxSockets: 1 });
  try {
    const res = await client.request('GET', '/health', { timeoutMs });
    return res.status === 200
      ? { state: 'ok' }
      : { state: 'unhealthy', status: res.status, body: res.text.slice(0, 300) };
  } catch (error) {
    return { state: 'down', reason: error instanceof NetworkError ? error.code : String(error) };
  } finally {
    client.close();
  }
}

export class Stack {
  readonly pids: StackPids = {};
  private readonly children = new Map<AppKey, { process: ChildProcess; exited: Promise<void>; output: string[] }>();
  private startedBroker = false;
  private startedDatabase = false;
  private stopping?: Promise<void>;

  private constructor(
    readonly baseUrl: string,
    readonly caPem: string,
    readonly brokerNodeName: string,
    /** Whether the bench started the apps (and so owns what it started). */
    readonly startedByBench: boolean,
  ) {}

  /** Uses the running stack, or brings one up. Call `stop()` in any case (it stops only what it started). */
  static async ensure(options: StackOptions): Promise<Stack> {
    const port = Number(process.env.PORT ?? '8443');
    const baseUrl = `https://localhost:${port}`;
    const caFile = path.join(ROOT, process.env.CERTS_DIR ?? 'certs', 'rootca.pem');
    const brokerNodeName = process.env.BROKER_NODE_NAME ?? 'iotcloud@localhost';
    if (existsSync(caFile)) {
      const health = await probeHealth(baseUrl, readFileSync(caFile, 'utf8'));
      if (health.state === 'ok') {
        if (options.profileDir) {
          throw new Error(
            `--profile needs the bench to start the apps, but a gateway already answers on ${baseUrl}; ` +
              'stop it, or point the bench at a free PORT (see bench/README.md)',
          );
        }
        progress(`using the running stack at ${baseUrl}`);
        const stack = new Stack(baseUrl, readFileSync(caFile, 'utf8'), brokerNodeName, false);
        stack.findPids(port);
        return stack;
      }
      if (health.state === 'unhealthy') {
        throw new Error(`a gateway answers on ${baseUrl} but is not healthy (${health.status}): ${health.body}`);
      }
    }
    progress(`no gateway answers on ${baseUrl}: bringing the stack up`);
    if (!(await infra('setup.sh')))
      throw new Error('infra/setup.sh failed (dependencies, .env or certificates): see above');
    // setup.sh may just have created .env: read it (variables already set win).
    loadDotEnv();
    const stack = new Stack(baseUrl, readFileSync(caFile, 'utf8'), brokerNodeName, true);
    try {
      await stack.bringUp(port, options);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private findPids(port: number): void {
    this.pids.gateway = findListeningPid(port);
    this.pids.deviceCommand = findNodeProcess(
      /device-command/,
      process.env.AMQP_PORT ? { AMQP_PORT: process.env.AMQP_PORT } : {},
    );
    this.pids.broker = findBrokerPid(this.brokerNodeName, brokerDataDir());
    this.pids.database = localDatabasePid();
    const missing = Object.entries({
      gateway: this.pids.gateway,
      'device-command': this.pids.deviceCommand,
      broker: this.pids.broker,
    })
      .filter(([, pid]) => pid === undefined)
      .map(([name]) => name);
    if (missing.length > 0)
      progress(`could not identify the process of: ${missing.join(', ')} (their memory is not reported)`);
  }

  private async bringUp(port: number, options: StackOptions): Promise<void> {
    if (!(await infra('broker.sh', 'status'))) {
      this.startedBroker = true;
      if (!(await infra('broker.sh', 'start'))) throw new Error('could not start the broker: see above');
    }
    if (!process.env.MONGODB_URI) {
      if (!(await infra('database.sh', 'status'))) {
        this.startedDatabase = true;
        if (!(await infra('database.sh', 'start'))) throw new Error('could not start the database: see above');
      }
      // The gateway's default URI ignores LOCAL_DB_PORT: hand it the local database's URI.
      const { code, stdout } = await run('bash', [path.join(ROOT, 'infra', 'database.sh'), 'uri'], {
        captureStdout: true,
        timeoutMs: 30_000,
      });
      if (code !== 0 || !stdout.trim()) throw new Error('infra/database.sh uri failed');
      process.env.MONGODB_URI = stdout.trim();
    }
    this.pids.broker = findBrokerPid(this.brokerNodeName, brokerDataDir());
    this.pids.database = localDatabasePid();

    for (const key of ['deviceCommand', 'gateway'] as const) {
      const app = APPS[key];
      if (options.build || !existsSync(path.join(ROOT, app.main))) {
        progress(`building ${app.project}`);
        const { code } = await run(path.join(ROOT, 'node_modules/.bin/nest'), ['build', app.project], {
          timeoutMs: 10 * 60_000,
        });
        if (code !== 0) throw new Error(`nest build ${app.project} failed: see above`);
      }
    }
    if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
    this.startApp('deviceCommand', options.profileDir);
    this.startApp('gateway', options.profileDir);

    const deadline = Date.now() + 120_000;
    let last: HealthState = { state: 'down', reason: 'not probed yet' };
    while (Date.now() < deadline) {
      if (options.signal?.aborted) throw new Error('interrupted');
      for (const [key, child] of this.children) {
        if (child.process.exitCode !== null || child.process.signalCode !== null) {
          throw new Error(
            `${APPS[key].label} exited while starting (${String(child.process.exitCode ?? child.process.signalCode)}); last output:\n${child.output.join('\n')}`,
          );
        }
      }
      last = await probeHealth(this.baseUrl, this.caPem, 3000);
      if (last.state === 'ok') {
        progress(
          `stack is up at ${this.baseUrl} (gateway pid ${String(this.pids.gateway)}, device-command pid ${String(this.pids.deviceCommand)}, broker pid ${String(this.pids.broker)})`,
        );
        return;
      }
      await sleep(500, options.signal);
    }
    throw new Error(`the gateway did not become healthy within 120 s: ${JSON.stringify(last)}`);
  }

  private startApp(key: AppKey, profileDir: string | undefined): void {
    const app = APPS[key];
    const args = profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${app.project}.cpuprofile`]
      : [];
    const child = spawn(process.execPath, [...args, app.main], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    if (child.stdout) prefixLines(child.stdout, `[${app.label}] `, output);
    if (child.stderr) prefixLines(child.stderr, `[${app.label}] `, output);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.children.set(key, { process: child, exited, output });
    this.pids[key] = child.pid;
  }

  /** Stops the apps it started (SIGTERM, SIGKILL after 20 s), then the database and broker it started. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // The gateway first: it is the one talking to device-command.
      for (const key of ['gateway', 'deviceCommand'] as const) {
        const child = this.children.get(key);
        if (!child || child.process.exitCode !== null || child.process.signalCode !== null) continue;
        progress(`stopping ${APPS[key].label} (pid ${String(child.process.pid)})`);
        child.process.kill('SIGTERM');
        const stopped = await Promise.race([child.exited.then(() => true), sleep(20_000).then(() => false)]);
        if (!stopped) {
          progress(`${APPS[key].label} did not stop within 20 s; killing it`);
          child.process.kill('SIGKILL');
          await child.exited;
        }
      }
      if (this.startedDatabase) await infra('database.sh', 'stop');
      if (this.startedBroker) {
        await infra('broker.sh', 'stop');
        // A node that stopped answering rabbitmqctl (e.g. after running out of file
        // descriptors) is "not running" to broker.sh but still alive: end the one we started.
        const pid = this.pids.broker;
        if (pid !== undefined && (await exitedWithin(pid, 10_000)) === false) {
          progress(`broker process ${pid} (started by the bench) is still alive after broker.sh stop; terminating it`);
          signalProcess(pid, 'SIGTERM');
          if ((await exitedWithin(pid, 15_000)) === false) signalProcess(pid, 'SIGKILL');
        }
      }
    })();
    return this.stopping;
  }
}

/** The database's process when it listens on this machine (local FerretDB/mongod, or a MONGODB_URI on loopback). */
export function localDatabasePid(): number | undefined {
  const uri = process.env.MONGODB_URI;
  let port = Number(process.env.LOCAL_DB_PORT ?? '27018');
  if (uri) {
    const match = /^mongodb:\/\/(?:[^@/]*@)?(127\.0\.0\.1|localhost|\[::1\]):(\d+)\//.exec(uri);
    if (!match) return undefined;
    port = Number(match[2]);
  }
  return findListeningPid(port);
}

/** The broker's data folder, as infra/broker.sh computes it. */
function brokerDataDir(): string {
  return path.resolve(ROOT, process.env.BROKER_DATA_DIR ?? path.join('.local', 'rabbitmq'));
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Whether process `pid` is gone within `ms` (polling every 250 ms). */
async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(250);
  }
}

/** Loads `.env` from the repository root; variables already in the environment win (as in every script and app). */
export function loadDotEnv(): void {
  const file = path.join(ROOT, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}
