/**
 * registration: `POST /devices` R times each with platform-generated RSA-2048
 * keys, platform-generated EC P-256 keys, and device-made CSRs (EC P-256,
 * generated before the clock starts), with bounded concurrency. While the RSA
 * run goes, `GET /health` is timed every 100 ms: RSA key generation must stay
 * off the gateway's event loop.
 */
import { performance } from 'node:perf_hooks';
import { generateEcCsr } from '../csr';
import { ErrorCounter, HttpsClient, errorCodeOf, forEachBounded, sleep, summarize } from '../http';
import { ProgressCounter, progress } from '../progress';
import type { RegisterBody } from '../session';
import type { Metrics, Scenario, ScenarioContext } from './types';

/**
 * Times `GET /health` every `intervalMs` (one at a time, on its own connection)
 * until stopped. Every answer counts for the timing (a 503 is an answer too);
 * answers other than 200 and calls without an answer are counted as failures.
 */
class HealthProbe {
  readonly samples: number[] = [];
  failures = 0;
  readonly codes = new ErrorCounter();
  private running = true;
  private loop?: Promise<void>;
  private readonly stop = new AbortController();

  constructor(
    private readonly client: HttpsClient,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        try {
          const res = await this.client.request('GET', '/health', { timeoutMs: 10_000 });
          this.samples.push(res.ms);
          if (res.status !== 200) {
            this.failures += 1;
            this.codes.add(`HTTP_${res.status}`);
          }
        } catch (error) {
          this.failures += 1;
          this.codes.add(errorCodeOf(error instanceof Error ? error : new Error(String(error))));
        }
        await sleep(Math.max(0, this.intervalMs - (performance.now() - started)), this.stop.signal);
      }
    })();
  }

  async finish(): Promise<void> {
    this.running = false;
    this.stop.abort();
    await this.loop;
  }
}

type Kind = 'rsa' | 'ec' | 'csr';

async function registerMany(
  context: ScenarioContext,
  kind: Kind,
  bodies: RegisterBody[],
  concurrency: number,
): Promise<{ perSec: number; seconds: number; latencies: number[]; errors: ErrorCounter }> {
  const errors = new ErrorCounter();
  const latencies: number[] = [];
  const counter = new ProgressCounter(`registration: ${kind}`, bodies.length);
  const client = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: concurrency });
  const began = performance.now();
  let ok = 0;
  try {
    await forEachBounded(
      bodies,
      concurrency,
      async (body) => {
        context.trackDevice(body.name);
        let success = false;
        try {
          const res = await context.session.postDevice(body, client);
          success = res.status === 201;
          if (success) {
            ok += 1;
            latencies.push(res.ms);
          } else {
            errors.add(errorCodeOf(res));
          }
        } catch (error) {
          errors.add(errorCodeOf(error instanceof Error ? error : new Error(String(error))));
        }
        counter.tick(success);
      },
      context.signal,
    );
  } finally {
    client.close();
  }
  const seconds = (performance.now() - began) / 1000;
  return { perSec: seconds > 0 ? ok / seconds : Number.NaN, seconds, latencies, errors };
}

export const registrationScenario: Scenario = {
  name: 'registration',
  summary: 'POST /devices with RSA keys, EC keys and CSRs: registrations per second; /health p99 during RSA',
  flags: [
    { name: 'devices', description: 'registrations of each kind (R)', default: 1000, smoke: 5, min: 1, integer: true },
    {
      name: 'concurrency',
      description: 'registrations in flight at once',
      default: 16,
      smoke: 4,
      min: 1,
      integer: true,
    },
    {
      name: 'health-interval-ms',
      description: 'GET /health period during the RSA run',
      default: 100,
      smoke: 100,
      min: 10,
      integer: true,
    },
  ],

  async run(context, sizes) {
    const count = sizes.devices;
    const run = Math.random().toString(36).slice(2, 8);
    const names = (kind: Kind): string[] =>
      Array.from({ length: count }, (_, i) => `reg-${run}-${kind}-${String(i + 1).padStart(6, '0')}`);

    progress(`registration: generating ${count} EC P-256 CSRs (not timed)`);
    const csrStarted = performance.now();
    const csrs = names('csr').map((name) => ({ name, csr: generateEcCsr(name).csrPem }));
    const csrGenSeconds = (performance.now() - csrStarted) / 1000;

    const metrics: Metrics = { devices: count, concurrency: sizes.concurrency };
    const problems: string[] = [];
    const healthClient = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 1 });
    try {
      // /health when idle, for comparison.
      const idle = new HealthProbe(healthClient, sizes['health-interval-ms']);
      idle.start();
      await sleep(Math.max(1000, sizes['health-interval-ms'] * 20), context.signal);
      await idle.finish();
      const idleSummary = summarize(idle.samples);

      const runs: { kind: Kind; bodies: RegisterBody[] }[] = [
        { kind: 'rsa', bodies: names('rsa').map((name) => ({ name, keyType: 'rsa' as const })) },
        { kind: 'ec', bodies: names('ec').map((name) => ({ name, keyType: 'ec' as const })) },
        { kind: 'csr', bodies: csrs },
      ];
      for (const { kind, bodies } of runs) {
        if (context.signal.aborted) throw new Error('interrupted');
        progress(`registration: ${count} x ${kind}, ${sizes.concurrency} at a time`);
        const probe = kind === 'rsa' ? new HealthProbe(healthClient, sizes['health-interval-ms']) : undefined;
        probe?.start();
        const result = await registerMany(context, kind, bodies, sizes.concurrency);
        await probe?.finish();
        const latency = summarize(result.latencies);
        metrics[`${kind}PerSec`] = result.perSec;
        metrics[`${kind}.p50Ms`] = latency.p50;
        metrics[`${kind}.p99Ms`] = latency.p99;
        if (result.errors.total > 0) {
          problems.push(
            `registration: ${result.errors.total} ${kind} registration(s) failed: ${result.errors.describe()}`,
          );
          Object.assign(metrics, result.errors.toMetrics(`${kind}.errors`));
        }
        if (probe) {
          const health = summarize(probe.samples);
          metrics.rsaHealthP50Ms = health.p50;
          metrics.rsaHealthP99Ms = health.p99;
          metrics.rsaHealthMaxMs = health.max;
          metrics.rsaHealthSamples = health.count;
          metrics.rsaHealthFailures = probe.failures;
          if (probe.failures > 0)
            problems.push(
              `registration: ${probe.failures} GET /health call(s) failed during the RSA run (${probe.codes.describe()})`,
            );
        }
      }
      if (context.signal.aborted) throw new Error('interrupted');
      metrics.idleHealthP50Ms = idleSummary.p50;
      metrics.idleHealthP99Ms = idleSummary.p99;
      metrics.idleHealthFailures = idle.failures;
      if (idle.failures > 0)
        problems.push(
          `registration: ${idle.failures} GET /health call(s) failed before the runs (${idle.codes.describe()})`,
        );
      metrics.csrGenerationSeconds = csrGenSeconds;
      return { metrics, problems };
    } finally {
      healthClient.close();
    }
  },
};
