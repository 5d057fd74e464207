/**
 * latency: one client with one HTTPS keep-alive connection, one simulated
 * device, `GET /devices/:name/gpio/3` one call after the other. Also times
 * `GET /devices/:name` (HTTPS + JWT + registry lookup, no broker) and reads
 * the gateway's own timings of a database ping and an RPC ping to
 * device-command from `GET /health`, as baselines for the per-hop breakdown.
 */
import { ErrorCounter, HttpsClient, summarize } from '../http';
import { progress } from '../progress';
import { HopSamples, gpioPath, timedGet } from './device-call';
import type { Scenario } from './types';

export const latencyScenario: Scenario = {
  name: 'latency',
  summary: 'one client, one device: sequential GET /devices/:name/gpio/3 over HTTPS keep-alive',
  flags: [
    { name: 'calls', description: 'measured calls', default: 2000, smoke: 20, min: 1, integer: true },
    { name: 'warmup', description: 'calls before measuring', default: 200, smoke: 5, min: 0, integer: true },
    {
      name: 'baseline-calls',
      description: 'GET /devices/:name calls (no device) for the breakdown',
      default: 500,
      smoke: 5,
      min: 0,
      integer: true,
    },
  ],

  async run(context, sizes) {
    const { calls, warmup } = sizes;
    await context.pool.ensure(1, context.signal);
    const [name] = context.pool.names(1);
    const { fleet } = await context.startFleet(1);
    const client = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 1 });
    const problems: string[] = [];
    try {
      const path = gpioPath(name);
      progress(`latency: ${warmup} warm-up calls, then ${calls} measured calls to ${name}`);
      for (let i = 0; i < warmup && !context.signal.aborted; i++) await timedGet(context.session, client, path);

      const samples = new HopSamples();
      const errors = new ErrorCounter();
      for (let i = 0; i < calls && !context.signal.aborted; i++) {
        const outcome = await timedGet(context.session, client, path);
        if (outcome.ok) samples.add(outcome);
        else errors.add(outcome.code ?? 'UNKNOWN');
      }

      const registry: number[] = [];
      const registryPath = `/devices/${encodeURIComponent(name)}`;
      for (let i = 0; i < sizes['baseline-calls'] && !context.signal.aborted; i++) {
        const outcome = await timedGet(context.session, client, registryPath);
        if (outcome.ok) registry.push(outcome.ms);
        else errors.add(`registry.${outcome.code ?? 'UNKNOWN'}`);
      }

      // GET /health reports the gateway's own timing of a database ping and of an RPC ping to
      // device-command over the broker (no device): the AMQP hops without any device work.
      const rpcPing: number[] = [];
      const dbPing: number[] = [];
      for (let i = 0; i < sizes['baseline-calls'] && !context.signal.aborted; i++) {
        const outcome = await timedGet(context.session, client, '/health');
        const body = outcome.response?.json as
          { database?: { latencyMs?: unknown }; deviceCommand?: { latencyMs?: unknown } } | undefined;
        if (typeof body?.deviceCommand?.latencyMs === 'number') rpcPing.push(body.deviceCommand.latencyMs);
        if (typeof body?.database?.latencyMs === 'number') dbPing.push(body.database.latencyMs);
      }

      if (context.signal.aborted) throw new Error('interrupted');
      if (errors.total > 0) problems.push(`latency: ${errors.total} failed call(s): ${errors.describe()}`);
      const total = summarize(samples.total);
      const device = summarize(samples.device);
      const rest = summarize(samples.rest);
      const baseline = summarize(registry);
      const rpc = summarize(rpcPing);
      const db = summarize(dbPing);
      return {
        metrics: {
          calls: total.count,
          p50Ms: total.p50,
          p90Ms: total.p90,
          p99Ms: total.p99,
          maxMs: total.max,
          meanMs: total.mean,
          callsPerSec: total.mean > 0 ? 1000 / total.mean : Number.NaN,
          'deviceHop.p50Ms': device.p50,
          'deviceHop.p99Ms': device.p99,
          'rest.p50Ms': rest.p50,
          'rest.p99Ms': rest.p99,
          'registryGet.p50Ms': baseline.p50,
          'registryGet.p99Ms': baseline.p99,
          'rpcPing.p50Ms': rpc.p50,
          'dbPing.p50Ms': db.p50,
          ...errors.toMetrics(),
        },
        problems,
      };
    } finally {
      client.close();
      await fleet.stop();
    }
  },
};
