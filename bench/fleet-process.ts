/**
 * The simulated devices of a scenario, in a process of their own so their
 * memory and CPU are measured apart from the bench's client side. Started by
 * bench/fleet.ts with an IPC channel:
 *
 *   parent → {type:'start', devicesDir, count, concurrency, connectTimeoutMs, offset?, localAddresses?}
 *   child  → {type:'ready', connected, failed, ...} once every device has connected or failed
 *   parent → {type:'stop'}   child → {type:'stopped'} and exits 0
 *
 * It also stops (and exits) on SIGTERM/SIGINT and when the parent goes away.
 */
import { Fleet, SimulatorLogger, startFleet } from '../apps/device-simulator/src';
import { summarizeFailures } from '../apps/device-simulator/src/fleet';
import { ChildMessage, StartMessage, isParentMessage } from './fleet-protocol';

let fleet: Fleet | undefined;
let starting: Promise<void> | undefined;
let stopping = false;
const abort = new AbortController();

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/** The first warnings, then a count: thousands of devices must not flood the bench's log. */
let warnings = 0;
const logger: SimulatorLogger = {
  info: () => undefined,
  warn: (line) => {
    warnings += 1;
    if (warnings <= 20) process.stderr.write(`${line}\n`);
    else if (warnings % 1000 === 0) process.stderr.write(`[sim fleet] ${warnings} device warnings so far\n`);
  },
};

/**
 * Reports when this process's event loop stalls: 200-10,000 devices share it, and a stall
 * here looks like slow devices (DEVICE_TIMEOUT) from the platform's side.
 */
const STALL_CHECK_MS = 250;
const STALL_REPORT_MS = 1000;
let lastTick = performance.now();
setInterval(() => {
  const now = performance.now();
  const stalled = now - lastTick - STALL_CHECK_MS;
  lastTick = now;
  if (stalled > STALL_REPORT_MS) {
    process.stderr.write(
      `[sim fleet] event loop stalled for ${Math.round(stalled)} ms at ${new Date().toISOString()}\n`,
    );
  }
}, STALL_CHECK_MS).unref();

async function start(message: StartMessage): Promise<void> {
  const result = await startFleet({
    transport: 'mqtt',
    devicesDir: message.devicesDir,
    count: message.count,
    offset: message.offset,
    localAddresses: message.localAddresses,
    concurrency: message.concurrency,
    device: { connectTimeoutMs: message.connectTimeoutMs },
    logger,
    progress: process.stderr,
    signal: abort.signal,
  });
  fleet = result;
  send({
    type: 'ready',
    connected: result.devices.length,
    failed: result.failures.length,
    skipped: result.skipped,
    elapsedMs: result.elapsedMs,
    failureSummary: summarizeFailures(result.failures),
  });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  abort.abort();
  // A second signal while stopping quits at once.
  const force = setTimeout(() => process.exit(code), 30_000);
  force.unref();
  try {
    await starting?.catch(() => undefined);
    await fleet?.stop();
  } finally {
    send({ type: 'stopped' });
    process.exit(code);
  }
}

process.on('message', (message: unknown) => {
  if (!isParentMessage(message)) return;
  if (message.type === 'stop') {
    void stop(0);
    return;
  }
  if (starting) return;
  starting = start(message).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  });
});
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(130));

send({ type: 'hello', pid: process.pid });
