/** The bench's side of the simulator child process (bench/fleet-process.ts). */
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { ChildMessage, isChildMessage } from './fleet-protocol';
import { progress } from './progress';
import { prefixLines } from './stack';

export interface FleetReady {
  connected: number;
  failed: number;
  skipped: number;
  elapsedMs: number;
  failureSummary: string[];
}

export interface FleetStartOptions {
  devicesDir: string;
  count: number;
  /** Devices connecting at the same time (simulator fleet mode's --concurrency). */
  concurrency: number;
  /** Per-device connect timeout. */
  connectTimeoutMs: number;
  /** Backstop for the whole connect phase. */
  readyTimeoutMs: number;
  /** Skip this many device files first (one of several processes). */
  offset?: number;
  /** Source addresses to connect from, round robin. */
  localAddresses?: string[];
  signal?: AbortSignal;
}

const ROOT = path.resolve(__dirname, '..');

/** A running simulator process. `stop()` is idempotent and never throws. */
export class FleetProcess {
  private readonly messages: ChildMessage[] = [];
  private readonly waiters: (() => void)[] = [];
  private exited = false;
  private exitDescription = '';
  private stopping?: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      this.messages.push(message);
      this.wake();
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitDescription = signal ? `signal ${signal}` : `exit code ${String(code)}`;
      this.wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks the simulator process; it runs the simulator from source with ts-node (transpile only). */
  static spawn(): FleetProcess {
    const child = fork(path.join(ROOT, 'bench', 'fleet-process.ts'), [], {
      cwd: ROOT,
      execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '--max-old-space-size=8192'],
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    if (child.stdout) prefixLines(child.stdout, '[fleet] ');
    if (child.stderr) prefixLines(child.stderr, '[fleet] ');
    return new FleetProcess(child);
  }

  /** Starts the process and connects the first `count` devices of the folder; resolves once all connected or failed. */
  static async start(options: FleetStartOptions): Promise<{ fleet: FleetProcess; ready: FleetReady }> {
    const fleet = FleetProcess.spawn();
    try {
      await fleet.next('hello', 60_000, options.signal);
      fleet.child.send({
        type: 'start',
        devicesDir: options.devicesDir,
        count: options.count,
        concurrency: options.concurrency,
        connectTimeoutMs: options.connectTimeoutMs,
        offset: options.offset,
        localAddresses: options.localAddresses,
      });
      const ready = await fleet.next('ready', options.readyTimeoutMs, options.signal);
      return { fleet, ready };
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Waits for the next message of `type` (an `error` message or the child's exit rejects). */
  private async next<T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type || m.type === 'error');
      if (index >= 0) {
        const [message] = this.messages.splice(index, 1);
        if (message.type === 'error') throw new Error(`simulator process: ${message.message}`);
        return message as Extract<ChildMessage, { type: T }>;
      }
      if (this.exited) throw new Error(`simulator process ended (${this.exitDescription}) before '${type}'`);
      if (signal?.aborted) throw new Error('interrupted');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`simulator process: no '${type}' within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 1000));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }

  /** Disconnects the devices and waits for the process to end (SIGKILL after 30 s). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exited) return;
      if (this.child.connected) this.child.send({ type: 'stop' });
      else this.child.kill('SIGTERM');
      const deadline = Date.now() + 30_000;
      while (!this.exited && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 250);
          const waiters = this.waiters;
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          waiters.push(done);
        });
      }
      if (!this.exited) {
        progress(`simulator process ${String(this.child.pid)} did not stop within 30 s; killing it`);
        this.child.kill('SIGKILL');
      }
    })();
    return this.stopping;
  }
}

/**
 * Devices per simulator process: one file descriptor each, under the per-process limit
 * (20,000 on the reference machine, and only root with CAP_SYS_RESOURCE raises it).
 */
export const DEVICES_PER_PROCESS = 15_000;

/**
 * How `count` devices are shared among simulator processes: at most `perProcess` each, and
 * when there are several, each connects from its own loopback address (127.0.0.2, 127.0.0.3,
 * ...): one source address to one broker port runs out of ephemeral ports near 28,000.
 */
export function planFleet(
  count: number,
  perProcess = DEVICES_PER_PROCESS,
): { offset: number; count: number; localAddresses?: string[] }[] {
  const processes = Math.max(1, Math.ceil(count / perProcess));
  const share = Math.ceil(count / processes);
  return Array.from({ length: processes }, (_, i) => {
    const offset = i * share;
    return {
      offset,
      count: Math.min(share, count - offset),
      ...(processes > 1 ? { localAddresses: [`127.0.0.${i + 2}`] } : {}),
    };
  });
}

/** One or more simulator processes sharing the pool (see planFleet). */
export class FleetGroup {
  constructor(private readonly processes: FleetProcess[]) {}

  get pids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  stop(): Promise<void> {
    return Promise.all(this.processes.map((p) => p.stop())).then(() => undefined);
  }

  /** Starts the processes of planFleet(count) side by side; the connect phases run in parallel. */
  static async start(
    options: FleetStartOptions,
    perProcess = DEVICES_PER_PROCESS,
  ): Promise<{ fleet: FleetGroup; ready: FleetReady }> {
    const plan = planFleet(options.count, perProcess);
    // Each process connects `concurrency` / processes at a time: the same load on the broker.
    const concurrency = Math.max(1, Math.ceil(options.concurrency / plan.length));
    const settled = await Promise.allSettled(
      plan.map((part) => FleetProcess.start({ ...options, ...part, concurrency })),
    );
    const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const group = new FleetGroup(started.map((s) => s.fleet));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await group.stop();
      throw failed.reason;
    }
    const ready: FleetReady = {
      connected: 0,
      failed: 0,
      skipped: 0,
      elapsedMs: 0,
      failureSummary: [],
    };
    for (const { ready: part } of started) {
      ready.connected += part.connected;
      ready.failed += part.failed;
      ready.skipped += part.skipped;
      ready.elapsedMs = Math.max(ready.elapsedMs, part.elapsedMs);
      ready.failureSummary.push(...part.failureSummary);
    }
    return { fleet: group, ready };
  }
}
