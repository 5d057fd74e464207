/**
 * The platform under test. When a gateway already answers `GET /health` on
 * https://localhost:$PORT the bench uses that stack as it is; otherwise it
 * brings one up through the orchestrator `npm start` uses (tools/stack), and
 * `stop()` takes down exactly what it started.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { Platform, ROOT, caFile as caFileOf, gatewayUrl, probeHealth, sleep } from '../tools/stack/stack';
import { findBrokerPid, findListeningPid, findNodeProcess } from './procfs';
import { progress } from './progress';

export { ROOT, loadDotEnv, prefixLines } from '../tools/stack/stack';

export interface StackOptions {
  /** Start the apps with `--cpu-prof` into this folder (requires that the bench starts them). */
  profileDir?: string;
  /** Build the apps before starting them (default true); false builds only apps never built. */
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

export class Stack {
  readonly pids: StackPids = {};
  private stopping?: Promise<void>;

  private constructor(
    readonly baseUrl: string,
    readonly caPem: string,
    readonly brokerNodeName: string,
    /** Whether the bench started the apps (and so owns what it started). */
    readonly startedByBench: boolean,
    /** What the bench started (none when it uses a running stack). */
    private readonly platform?: Platform,
  ) {}

  /** Uses the running stack, or brings one up. Call `stop()` in any case (it stops only what it started). */
  static async ensure(options: StackOptions): Promise<Stack> {
    const baseUrl = gatewayUrl();
    const caFile = caFileOf();
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
        stack.findPids(Number(process.env.PORT ?? '8443'));
        return stack;
      }
      if (health.state === 'unhealthy') {
        throw new Error(`a gateway answers on ${baseUrl} but is not healthy (${health.status}): ${health.body}`);
      }
    }
    progress(`no gateway answers on ${baseUrl}: bringing the stack up`);
    const { profileDir } = options;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const platform = new Platform({
      build: options.build ? 'always' : 'missing',
      nodeArgs: (app) =>
        profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${app}.cpuprofile`] : [],
      log: progress,
    });
    let stack: Stack | undefined;
    try {
      await platform.start();
      // Set-up (the platform's first step) may just have created the certificates.
      stack = new Stack(baseUrl, readFileSync(caFileOf(), 'utf8'), brokerNodeName, true, platform);
      await stack.waitUp(options.signal);
    } catch (error) {
      await (stack ?? platform).stop();
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

  private async waitUp(signal: AbortSignal | undefined): Promise<void> {
    const platform = this.platform as Platform;
    this.pids.broker = findBrokerPid(this.brokerNodeName, brokerDataDir());
    this.pids.database = localDatabasePid();
    this.pids.deviceCommand = platform.deviceCommand.pid;
    this.pids.gateway = platform.gateway.pid;
    const health = await platform.healthy(120_000, signal);
    if (health.state !== 'ok') {
      throw new Error(`the gateway did not become healthy within 120 s: ${JSON.stringify(health)}`);
    }
    progress(
      `stack is up at ${this.baseUrl} (gateway pid ${String(this.pids.gateway)}, device-command pid ${String(this.pids.deviceCommand)}, broker pid ${String(this.pids.broker)})`,
    );
  }

  /** Stops the apps it started (SIGTERM, SIGKILL after 20 s), then the database and broker it started. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const platform = this.platform;
      if (!platform) return;
      await platform.stop();
      if (platform.infrastructure.startedBroker) {
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
