/**
 * scale: connect N simulated devices (MQTT over TLS, each with its own
 * certificate) from simulator processes of up to 15,000 devices each (bench/fleet.ts), then invoke `GET
 * /devices/:name/status` on every one of them with bounded concurrency.
 * Reports the connect time, how many answered, and the peak memory of the
 * gateway, device-command, the simulator and the broker. The connect phase has
 * its own CPU figures (`connect.*`), up to the moment presence has recorded
 * every connected device (or, with PRESENCE=false, up to the last connect), so
 * presence's cost shows by running it with PRESENCE on and off.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCounter, HttpsClient, forEachBounded, summarize } from '../http';
import { presenceEnabled, readPresenceConnected } from '../presence-progress';
import { ProcessUsage, usageMetrics } from '../procfs';
import { ProgressCounter, progress } from '../progress';
import { timedGet } from './device-call';
import { CONNECT_FLAGS, connectFleet, platformMonitor } from './fleet-phase';
import type { Scenario } from './types';

export const scaleScenario: Scenario = {
  name: 'scale',
  summary: 'N TLS MQTT devices connected at once, one command to each: connect time, answers, peak memory',
  flags: [
    { name: 'devices', description: 'simulated devices (N)', default: 10000, smoke: 20, min: 1, integer: true },
    { name: 'concurrency', description: 'commands in flight at once', default: 200, smoke: 10, min: 1, integer: true },
    ...CONNECT_FLAGS,
    {
      name: 'presence-timeout',
      description: 'seconds allowed after the last connect for presence to record every device',
      default: 300,
      smoke: 60,
      min: 0,
      integer: false,
    },
    {
      name: 'devices-per-process',
      description: 'simulated devices per simulator process (each further process connects from 127.0.0.2, .3, ...)',
      default: 15000,
      smoke: 15000,
      min: 1,
      integer: true,
    },
    {
      name: 'timeout-ms',
      description: 'device timeout of each command (?timeout=)',
      default: 10000,
      smoke: 5000,
      min: 100,
      max: 30000,
      integer: true,
    },
  ],

  async run(context, sizes) {
    const count = sizes.devices;
    const timeoutMs = sizes['timeout-ms'];
    await context.pool.ensure(count, context.signal);
    const names = context.pool.names(count);

    const monitor = platformMonitor(context);
    const connectMonitor = platformMonitor(context);
    for (const m of [monitor, connectMonitor]) m.start();
    const presenceOn = presenceEnabled();
    const presenceBefore = presenceOn ? await readPresenceConnected() : undefined;
    const client = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: sizes.concurrency });
    let stopFleet: (() => Promise<void>) | undefined;
    try {
      const problems: string[] = [];
      const { fleet, ready } = await connectFleet(context, 'scale', count, sizes, problems, {
        perProcess: sizes['devices-per-process'],
      });
      stopFleet = () => fleet.stop();
      monitor.add('simulator', fleet.pids);
      const presenceLagSeconds = await waitForPresence(
        presenceBefore,
        ready.connected,
        sizes['presence-timeout'],
        problems,
        context.signal,
      );
      const connectMachineCpu = connectMonitor.machineCpuPercent();
      const connectUsage = connectMonitor.stop();

      progress(`scale: GET /devices/:name/status on all ${count} devices, ${sizes.concurrency} at a time`);
      const errors = new ErrorCounter();
      const latencies: number[] = [];
      let answered = 0;
      const counter = new ProgressCounter('scale: commands', count);
      const began = performance.now();
      await forEachBounded(
        names,
        sizes.concurrency,
        async (name) => {
          const outcome = await timedGet(
            context.session,
            client,
            `/devices/${encodeURIComponent(name)}/status?timeout=${timeoutMs}`,
            timeoutMs + 15_000,
          );
          const status = (outcome.response?.json as { status?: unknown } | undefined)?.status;
          const ok = outcome.ok && status === 'running';
          if (ok) {
            answered += 1;
            latencies.push(outcome.ms);
          } else {
            errors.add(outcome.code ?? 'BAD_REPLY');
          }
          counter.tick(ok);
        },
        context.signal,
      );
      const commandSeconds = (performance.now() - began) / 1000;
      if (context.signal.aborted) throw new Error('interrupted');
      const machineCpu = monitor.machineCpuPercent();
      const usage = monitor.stop();
      if (answered < count)
        problems.push(`scale: ${count - answered} of ${count} devices did not answer (${errors.describe()})`);
      const commands = summarize(latencies);
      const connectSeconds = ready.elapsedMs / 1000;
      return {
        metrics: {
          devices: count,
          simulatorProcesses: fleet.pids.length,
          connected: ready.connected,
          connectFailed: ready.failed,
          connectSeconds,
          connectsPerSec: connectSeconds > 0 ? ready.connected / connectSeconds : Number.NaN,
          answered,
          commandSeconds,
          commandsPerSec: commandSeconds > 0 ? answered / commandSeconds : Number.NaN,
          'command.p50Ms': commands.p50,
          'command.p99Ms': commands.p99,
          presenceLagSeconds,
          ...connectMetrics(connectUsage, connectMachineCpu, ready.connected),
          ...errors.toMetrics(),
          ...usageMetrics(usage, true, machineCpu),
        },
        problems,
      };
    } finally {
      monitor.stop();
      connectMonitor.stop();
      client.close();
      await stopFleet?.();
    }
  },
};

/**
 * Seconds after the last connect until the gateway's presence counter has grown by
 * `connected` (NaN with presence off, or when its metrics cannot be read).
 */
async function waitForPresence(
  before: number | undefined,
  connected: number,
  timeoutSeconds: number,
  problems: string[],
  signal: AbortSignal,
): Promise<number> {
  if (before === undefined) {
    if (presenceEnabled()) progress('scale: the gateway metrics are not readable (METRICS_PORT): presence not timed');
    return Number.NaN;
  }
  const began = performance.now();
  const deadline = began + timeoutSeconds * 1000;
  let recorded = 0;
  while (!signal.aborted) {
    recorded = ((await readPresenceConnected()) ?? before) - before;
    if (recorded >= connected) return (performance.now() - began) / 1000;
    if (performance.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  problems.push(`scale: presence recorded ${recorded} of ${connected} connected devices within ${timeoutSeconds} s`);
  return Number.NaN;
}

/** CPU of the connect phase: % of a core, seconds, and ms per connected device, per process. */
function connectMetrics(
  usage: Record<string, ProcessUsage>,
  machineCpuPercent: number,
  connected: number,
): Record<string, number> {
  const metrics: Record<string, number> = { 'connect.cpu.machinePct': machineCpuPercent };
  for (const [label, value] of Object.entries(usage)) {
    metrics[`connect.cpu.${label}Pct`] = value.cpuPercent;
    metrics[`connect.cpu.${label}Seconds`] = value.cpuSeconds;
    if (connected > 0) metrics[`connect.cpu.${label}MsPerDevice`] = (value.cpuSeconds * 1000) / connected;
  }
  return metrics;
}
