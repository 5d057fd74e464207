/**
 * The one orchestrator of the platform's parts. `npm start` (tools/stack/main.ts,
 * behind infra/platform.sh), the bench (bench/stack.ts), the e2e tests' global
 * set-up and the fault suite all bring the stack up through this module:
 *
 * - {@link Infrastructure}: set-up, the broker and the database (started only
 *   when not running already; `stop()` stops exactly what it started);
 * - {@link buildApps}: `nest build` of the apps, and {@link builtMain}, the one
 *   place that knows where a build puts an app's main.js;
 * - {@link AppProcess}: one app as a child process (output prefixed, crash noticed);
 * - {@link waitHealthy} and {@link waitPortsFree}: the waits.
 *
 * It knows the apps only as processes (it imports none of them) and needs
 * nothing but Node: the layer rules keep it that way (.dependency-cruiser.cjs).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export const ROOT = path.resolve(__dirname, '../..');

/** The apps the orchestrator builds and runs (Nest projects of nest-cli.json). */
export type AppName = 'api-gateway' | 'device-command' | 'device-simulator' | 'cli';

/** Where `nest build <app>` puts the app's entry point (relative to the repository root). */
export function builtMain(app: AppName): string {
  // The monorepo build keeps the source tree under each app's outDir (apps/<app>/tsconfig.app.json).
  return `dist/apps/${app}/apps/${app}/src/main.js`;
}

/** The app's entry point in the sources (run with ts-node). */
export function sourceMain(app: AppName): string {
  return `apps/${app}/src/main.ts`;
}

export type Log = (line: string) => void;

/** Progress lines on stderr, tagged with who prints them. */
export function logTo(tag: string): Log {
  return (line) => process.stderr.write(`[${tag}] ${line}\n`);
}

/** Loads `.env` from the repository root; variables already in the environment win (as in every script and app). */
export function loadDotEnv(): void {
  const file = path.join(ROOT, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Forwards a child's output to our stderr, one prefixed line at a time; keeps the last lines in `keep`. */
export function prefixLines(
  stream: Readable,
  prefix: string,
  keep?: string[],
  keepLines = 40,
  mapLine: (line: string) => string = (line) => line,
): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      process.stderr.write(`${prefix}${mapLine(line)}\n`);
      if (keep) {
        keep.push(line);
        if (keep.length > keepLines) keep.shift();
      }
    }
  });
  stream.on('end', () => {
    if (partial) process.stderr.write(`${prefix}${mapLine(partial)}\n`);
  });
}

/**
 * How a child's forwarded output is shown: each line behind `prefix`, rewritten by `mapLine`.
 * Used for tools whose own summary lines must not pass for the test runner's (docs/testing.md).
 */
export interface OutputLabel {
  prefix: string;
  mapLine?: (line: string) => string;
}

/**
 * Redraws a line's leading and trailing "=" rulers with "-". pytest-style tools (schemathesis) close with
 * "=== 1 warning in 118.72s ==="; CI reads such a line as a test runner's closing line, one that ran no test.
 */
export function dashRulers(line: string): string {
  return line.replace(/^=+|=+$/g, (ruler) => '-'.repeat(ruler.length));
}

/** Runs a command in the repository root to completion; stdout is returned (or forwarded to stderr), stderr forwarded. */
export function run(
  command: string,
  args: string[],
  options: { captureStdout?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv; label?: OutputLabel } = {},
): Promise<{ code: number; stdout: string }> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
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
    } else if (options.label) {
      prefixLines(child.stdout, options.label.prefix, undefined, 0, options.label.mapLine);
    } else {
      child.stdout.pipe(process.stderr, { end: false });
    }
    if (options.label) prefixLines(child.stderr, options.label.prefix, undefined, 0, options.label.mapLine);
    else child.stderr.pipe(process.stderr, { end: false });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${command} ${args.join(' ')} took longer than ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
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

export type InfraScript = 'broker.sh' | 'database.sh' | 'setup.sh';

/** Runs one of infra/'s scripts (its progress on stderr); true when it succeeded. */
export async function infra(script: InfraScript, ...args: string[]): Promise<boolean> {
  const timeoutMs = args[0] === 'status' ? 60_000 : 20 * 60_000;
  return (await run('bash', [path.join(ROOT, 'infra', script), ...args], { timeoutMs })).code === 0;
}

/** An infra script's stdout (`database.sh uri`, `broker.sh urls`); throws when it fails. */
async function infraOutput(script: InfraScript, ...args: string[]): Promise<string> {
  const { code, stdout } = await run('bash', [path.join(ROOT, 'infra', script), ...args], {
    captureStdout: true,
    timeoutMs: 60_000,
  });
  if (code !== 0 || !stdout.trim()) throw new Error(`infra/${script} ${args.join(' ')} failed`);
  return stdout.trim();
}

/**
 * The broker and the database. `up()` runs set-up (packages, .env, certificates),
 * starts what is not running (a running broker is reconciled with its config), and
 * tells in `appEnv` the settings the apps need to reach both. `stop()` stops only
 * what `up()` started, also when called while `up()` is still on its way.
 */
export class Infrastructure {
  startedBroker = false;
  startedDatabase = false;
  /** Settings for the apps on top of `.env`: the database's URI, and in a cluster every broker node. */
  readonly appEnv: Record<string, string> = {};
  private cancelled = false;
  private stopping?: Promise<void>;

  constructor(private readonly log: Log = logTo('stack')) {}

  async up(): Promise<void> {
    if (!(await infra('setup.sh')))
      throw new Error('infra/setup.sh failed (dependencies, .env or certificates): see above');
    // setup.sh may just have created .env: read it (variables already set win).
    loadDotEnv();
    this.checkStopping();
    const brokerWasUp = await infra('broker.sh', 'status');
    // Marked before starting, so that a stop while it starts stops it too.
    this.startedBroker = !brokerWasUp;
    if (!(await infra('broker.sh', 'start'))) {
      throw new Error(
        brokerWasUp ? 'the running broker could not be reconciled: see above' : 'could not start the broker: see above',
      );
    }
    this.checkStopping();
    if (Number(process.env.BROKER_CLUSTER_SIZE ?? '1') > 1) {
      // Both apps reach every node, and the shard queues are replicated.
      this.appEnv.AMQP_URLS = await infraOutput('broker.sh', 'urls');
      this.appEnv.DEVICE_COMMAND_QUEUE_TYPE = 'quorum';
    }
    if (!process.env.MONGODB_URI) {
      this.startedDatabase = !(await infra('database.sh', 'status'));
      if (this.startedDatabase && !(await infra('database.sh', 'start')))
        throw new Error('could not start the database: see above');
      this.checkStopping();
    }
    // The apps' default URI does not know LOCAL_DB_PORT: hand them the database's URI.
    this.appEnv.MONGODB_URI = await infraOutput('database.sh', 'uri');
  }

  /** Makes a running `up()` give up after its current step. */
  cancel(): void {
    this.cancelled = true;
  }

  private checkStopping(): void {
    if (this.cancelled || this.stopping) throw new Error('stopped while starting');
  }

  /** Stops the database and the broker if `up()` started them; a part that was already running stays up. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.startedDatabase && !(await infra('database.sh', 'stop'))) this.log('infra/database.sh stop failed');
      if (this.startedBroker && !(await infra('broker.sh', 'stop'))) this.log('infra/broker.sh stop failed');
    })();
    return this.stopping;
  }
}

/** Newest modification time below `entry` (a file or a folder), in ms. */
function newestMtime(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** Whether the app's build is missing or older than its sources, the libraries or the dependencies. */
export function buildIsStale(app: AppName): boolean {
  const main = statSync(path.join(ROOT, builtMain(app)), { throwIfNoEntry: false });
  if (!main) return true;
  const sources = [`apps/${app}`, 'libs', 'tsconfig.json', 'package-lock.json'];
  return sources.some((source) => newestMtime(path.join(ROOT, source)) > main.mtimeMs);
}

/**
 * `nest build` of each app: `stale` builds what changed since its last build (a
 * restart then takes seconds, not a minute), `always` every app, `missing` only an
 * app never built.
 */
export async function buildApps(
  apps: readonly AppName[],
  when: 'stale' | 'always' | 'missing',
  log: Log,
): Promise<void> {
  for (const app of apps) {
    const needed =
      when === 'always' || (when === 'stale' ? buildIsStale(app) : !existsSync(path.join(ROOT, builtMain(app))));
    if (!needed) continue;
    log(`building ${app}`);
    const { code } = await run(path.join(ROOT, 'node_modules/.bin/nest'), ['build', app], { timeoutMs: 10 * 60_000 });
    if (code !== 0) throw new Error(`nest build ${app} failed: see above`);
  }
}

export interface AppProcessOptions {
  /** Settings on top of this process's environment (a function: read when the process starts). */
  env?: Record<string, string> | (() => Record<string, string>);
  /** Arguments after main.js. */
  args?: string[];
  /** Arguments to node before main.js (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** `built` runs dist/…/main.js (as operators do); `source` runs main.ts through ts-node. */
  from?: 'built' | 'source';
  /** How many of its last output lines to keep in `lastLines` (default 40). */
  keepLines?: number;
  /** Forward the output prefixed with `[label] ` (default), or leave it to the parent's stdout/stderr. */
  output?: 'prefix' | 'inherit';
  log?: Log;
}

/** One process of an app. */
export class AppProcess {
  private child?: ChildProcess;
  private exitPromise: Promise<void> = Promise.resolve();
  private expectingExit = false;
  /** Exits nobody asked for (a crash). */
  unexpectedExits = 0;
  /** The last lines it printed (for an error message). */
  readonly lastLines: string[] = [];

  constructor(
    readonly label: string,
    readonly app: AppName,
    private readonly options: AppProcessOptions = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it exited, or undefined while it runs. */
  get exitStatus(): string | undefined {
    if (!this.child || this.running) return undefined;
    return String(this.child.exitCode ?? this.child.signalCode);
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<void> {
    return this.exitPromise;
  }

  start(): this {
    this.expectingExit = false;
    const { args = [], nodeArgs = [], from = 'built', output = 'prefix' } = this.options;
    const env = typeof this.options.env === 'function' ? this.options.env() : (this.options.env ?? {});
    const entry =
      from === 'built'
        ? [builtMain(this.app)]
        : ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', sourceMain(this.app)];
    const child = spawn(process.execPath, [...nodeArgs, ...entry, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', output === 'prefix' ? 'pipe' : 'inherit', output === 'prefix' ? 'pipe' : 'inherit'],
    });
    const keepLines = this.options.keepLines ?? 40;
    if (child.stdout) prefixLines(child.stdout, `[${this.label}] `, this.lastLines, keepLines);
    if (child.stderr) prefixLines(child.stderr, `[${this.label}] `, this.lastLines, keepLines);
    this.exitPromise = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) {
          this.unexpectedExits += 1;
          this.options.log?.(`${this.label} exited (${String(code ?? signal)})`);
        }
        resolve();
      }),
    );
    this.child = child;
    return this;
  }

  /** From now on an exit is no crash (a stop is under way: a group's signal may reach it before our SIGTERM). */
  expectExit(): void {
    this.expectingExit = true;
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill(signal);
    await this.exitPromise;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.child?.kill('SIGTERM');
    const stopped = await Promise.race([this.exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.options.log?.(`${this.label} did not stop within ${Math.round(graceMs / 1000)} s; killing it`);
      await this.kill('SIGKILL');
    }
  }
}

/** The gateway's base URL from the settings (PORT, HTTPS). */
export function gatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  const scheme = /^(false|0|no)$/i.test(env.HTTPS ?? '') ? 'http' : 'https';
  return `${scheme}://localhost:${env.PORT ?? '8443'}`;
}

/** The platform CA's file, from the settings (CERTS_DIR). */
export function caFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(ROOT, env.CERTS_DIR ?? 'certs', 'rootca.pem');
}

export type HealthState =
  { state: 'ok' } | { state: 'unhealthy'; status: number; body: string } | { state: 'down'; reason: string };

/** One `GET /health` (HTTPS verified against `caPem`, or plain HTTP): ok (200), unhealthy (answers, not 200) or down (no answer). */
export function probeHealth(baseUrl: string, caPem: string, timeoutMs = 5000): Promise<HealthState> {
  const url = new URL('/health', baseUrl);
  const send = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve) => {
    const req = send(url, { ca: caPem, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve(
          res.statusCode === 200
            ? { state: 'ok' }
            : { state: 'unhealthy', status: res.statusCode ?? 0, body: body.slice(0, 300) },
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ state: 'down', reason: error.code ?? error.message }));
    req.end();
  });
}

/**
 * Polls `GET /health` every 500 ms until it answers 200 (with `anyAnswer`, until it
 * answers at all: a gateway alone reports its missing parts with 503), up to `ms`;
 * returns the last state. Throws at once when one of `watch` exits meanwhile (an app
 * that cannot start).
 */
export async function waitHealthy(
  baseUrl: string,
  caPem: string,
  ms: number,
  options: { watch?: readonly AppProcess[]; signal?: AbortSignal; anyAnswer?: boolean } = {},
): Promise<HealthState> {
  const deadline = Date.now() + ms;
  let last: HealthState = { state: 'down', reason: 'not probed yet' };
  while (Date.now() < deadline) {
    if (options.signal?.aborted) throw new Error('interrupted');
    for (const app of options.watch ?? []) {
      if (!app.running) {
        throw new Error(
          `${app.label} exited while starting (${String(app.exitStatus)}); last output:\n${app.lastLines.join('\n')}`,
        );
      }
    }
    last = await probeHealth(baseUrl, caPem, 3000);
    if (last.state === 'ok' || (options.anyAnswer && last.state === 'unhealthy')) return last;
    await sleep(500, options.signal);
  }
  return last;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A restart right after a stop finds the old processes still exiting: waits up to
 * `seconds` for each port to be free instead of failing. Throws naming the setting
 * of a port that stays taken.
 */
export async function waitPortsFree(ports: Record<string, number>, seconds: number, log: Log): Promise<void> {
  for (const [setting, port] of Object.entries(ports)) {
    if (port === 0 || !(await portOpen(port))) continue;
    log(`port ${port} is still in use; waiting up to ${seconds} s for it to free (a process still exiting?)`);
    const deadline = Date.now() + seconds * 1000;
    while (await portOpen(port)) {
      if (Date.now() >= deadline) throw new Error(`port ${port} is in use by another process; set ${setting} in .env`);
      await sleep(500);
    }
  }
}

/** The listeners the gateway opens on fixed ports (by setting), which must be free before it starts. */
export function gatewayPorts(env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  return { PORT: Number(env.PORT ?? '8443'), BROKER_AUTH_PORT: Number(env.BROKER_AUTH_PORT ?? '8089') };
}

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

export interface PlatformOptions {
  /** When to build the apps (see {@link buildApps}). */
  build: 'stale' | 'always' | 'missing';
  /** Apps to build besides the two it runs (e.g. the simulator `npm start` runs for the demo). */
  alsoBuild?: readonly AppName[];
  /** Node arguments per app (e.g. `--cpu-prof`). */
  nodeArgs?: (app: AppName) => string[];
  /** The apps' output: prefixed with their label (default), or straight to ours. */
  output?: AppProcessOptions['output'];
  log?: Log;
}

/**
 * The whole platform as `npm start` runs it: the infrastructure, then
 * device-command and the gateway from their builds, on the ports of the settings.
 * `stop()` takes down exactly what `start()` started, in reverse order.
 */
export class Platform {
  readonly infrastructure: Infrastructure;
  readonly deviceCommand: AppProcess;
  readonly gateway: AppProcess;
  private readonly log: Log;
  private starting?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(private readonly options: PlatformOptions) {
    this.log = options.log ?? logTo('stack');
    this.infrastructure = new Infrastructure(this.log);
    const app = (label: string, name: AppName) =>
      new AppProcess(label, name, {
        env: () => this.infrastructure.appEnv,
        nodeArgs: options.nodeArgs?.(name),
        output: options.output,
        log: this.log,
      });
    this.deviceCommand = app('device-command', 'device-command');
    this.gateway = app('gateway', 'api-gateway');
  }

  get apps(): readonly AppProcess[] {
    return [this.deviceCommand, this.gateway];
  }

  get baseUrl(): string {
    return gatewayUrl();
  }

  /** Brings the infrastructure up, builds and starts both apps; does not wait for them (see `healthy`). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.infrastructure.up();
      await waitPortsFree(gatewayPorts(), 30, this.log);
      await buildApps(
        ['device-command', 'api-gateway', ...(this.options.alsoBuild ?? [])],
        this.options.build,
        this.log,
      );
      if (this.stopping) throw new Error('stopped while starting');
      for (const app of this.apps) app.start();
    })();
    return this.starting;
  }

  /** Waits up to `ms` for the gateway's /health to answer 200 (throws when an app exits meanwhile). */
  async healthy(ms: number, signal?: AbortSignal): Promise<HealthState> {
    return waitHealthy(this.baseUrl, readFileSync(caFile(), 'utf8'), ms, { watch: this.apps, signal });
  }

  /** Resolves when one of the apps exits. */
  anyExit(): Promise<AppProcess> {
    return Promise.race(this.apps.map((app) => app.exited.then(() => app)));
  }

  /** Stops the apps (the gateway first: it is the one talking to device-command), then the infrastructure it started. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // A start on its way gives up after its current step; then everything it started is stopped.
      this.infrastructure.cancel();
      for (const app of this.apps) app.expectExit();
      await this.starting?.catch(() => undefined);
      for (const app of [this.gateway, this.deviceCommand]) {
        if (app.running) this.log(`stopping ${app.label} (pid ${String(app.pid)})`);
        await app.stop();
      }
      await this.infrastructure.stop();
    })();
    return this.stopping;
  }
}
