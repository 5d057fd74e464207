/**
 * throughput: C concurrent clients (each its own HTTPS keep-alive connection)
 * over D simulated devices for T seconds after a warm-up. Each client loops
 * over its device(s) with `GET /devices/:name/gpio/3`. Successful calls that
 * complete inside the measured window count as round trips; the latency
 * percentiles are of the calls that also started inside it.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCounter, HttpsClient, sleep, summarize } from '../http';
import { usageMetrics } from '../procfs';
import { progress } from '../progress';
import { HopSamples, gpioPath, timedGet } from './device-call';
import { platformMonitor } from './fleet-phase';
import type { Scenario } from './types';

/** Client i's devices: i, i + C, i + 2C, ... when C < D; device i mod D otherwise. */
export function devicesOfClient(client: number, clients: number, devices: number): number[] {
  if (clients >= devices) return [client % devices];
  const result: number[] = [];
  for (let d = client; d < devices; d += clients) result.push(d);
  return result;
}

export const throughputScenario: Scenario = {
  name: 'throughput',
  summary: 'C concurrent clients over D devices for T seconds: round trips per second',
  flags: [
    {
      name: 'clients',
      description: 'concurrent clients (one keep-alive connection each)',
      default: 200,
      smoke: 4,
      min: 1,
      integer: true,
    },
    { name: 'devices', description: 'simulated devices', default: 200, smoke: 4, min: 1, integer: true },
    { name: 'seconds', description: 'measured time', default: 20, smoke: 2, min: 0.1, integer: false },
    {
      name: 'warmup-seconds',
      description: 'time before measuring (TLS handshakes, JIT)',
      default: 5,
      smoke: 0.5,
      min: 0,
      integer: false,
    },
  ],

  async run(context, sizes) {
    const { clients, devices, seconds } = sizes;
    const warmupSeconds = sizes['warmup-seconds'];
    await context.pool.ensure(devices, context.signal);
    const names = context.pool.names(devices);
    const { fleet } = await context.startFleet(devices);
    const monitor = platformMonitor(context);
    monitor.add('simulator', fleet.pids);
    monitor.add('bench', process.pid);
    const agents = Array.from(
      { length: clients },
      () => new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 1 }),
    );
    try {
      progress(
        `throughput: ${clients} clients over ${devices} devices, ${warmupSeconds} s warm-up + ${seconds} s measured`,
      );
      const samples = new HopSamples();
      const errors = new ErrorCounter();
      const warmupErrors = new ErrorCounter();
      const began = performance.now();
      const measureFrom = began + warmupSeconds * 1000;
      const endAt = measureFrom + seconds * 1000;
      const monitorStart = sleep(warmupSeconds * 1000, context.signal).then(() => monitor.start());

      // Round trips per second: calls completed inside the window. Latencies: calls that
      // started and completed inside it (no TLS handshakes or warm-up queues).
      let completed = 0;
      await Promise.all(
        agents.map(async (agent, i) => {
          const mine = devicesOfClient(i, clients, devices).map((d) => gpioPath(names[d]));
          for (let k = 0; performance.now() < endAt && !context.signal.aborted; k++) {
            const started = performance.now();
            const outcome = await timedGet(context.session, agent, mine[k % mine.length]);
            if (outcome.endedAt < measureFrom) {
              if (!outcome.ok) warmupErrors.add(outcome.code ?? 'UNKNOWN');
              continue;
            }
            if (outcome.endedAt > endAt) continue;
            if (!outcome.ok) {
              errors.add(outcome.code ?? 'UNKNOWN');
              continue;
            }
            completed += 1;
            if (started >= measureFrom) samples.add(outcome);
          }
        }),
      );
      await monitorStart;
      const machineCpu = monitor.machineCpuPercent();
      const usage = monitor.stop();
      if (context.signal.aborted) throw new Error('interrupted');

      const problems: string[] = [];
      if (errors.total > 0)
        problems.push(`throughput: ${errors.total} failed call(s) in the measured window: ${errors.describe()}`);
      if (warmupErrors.total > 0) progress(`throughput: warm-up errors (not counted): ${warmupErrors.describe()}`);
      const total = summarize(samples.total);
      const device = summarize(samples.device);
      const rest = summarize(samples.rest);
      return {
        metrics: {
          clients,
          devices,
          seconds,
          roundTrips: completed,
          roundTripsPerSec: completed / seconds,
          p50Ms: total.p50,
          p90Ms: total.p90,
          p99Ms: total.p99,
          maxMs: total.max,
          'deviceHop.p50Ms': device.p50,
          'deviceHop.p99Ms': device.p99,
          'rest.p50Ms': rest.p50,
          'rest.p99Ms': rest.p99,
          ...errors.toMetrics(),
          ...usageMetrics(usage, true, machineCpu),
        },
        problems,
      };
    } finally {
      monitor.stop();
      for (const agent of agents) agent.close();
      await fleet.stop();
    }
  },
};
