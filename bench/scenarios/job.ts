/**
 * job: one bulk command (`POST /jobs`, set_gpio) over N simulated devices, picked by a tag,
 * while P clients keep calling P other devices interactively (`GET /devices/:name/gpio/3`,
 * one keep-alive connection and one call at a time each). Reports how long `POST /jobs` takes
 * to answer and until the job's devices are resolved (`total` known), the job's commands per
 * second (from the gateway's own createdAt → finishedAt) and the p50/p99 of the interactive
 * calls during the job, next to the same calls measured just before it (idle).
 */
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { ErrorCounter, HttpsClient, forEachBounded, sleep, summarize } from '../http';
import { usageMetrics } from '../procfs';
import { ProgressCounter, progress } from '../progress';
import { gpioPath, timedGet } from './device-call';
import { CONNECT_FLAGS, connectFleet, platformMonitor } from './fleet-phase';
import type { Metrics, Scenario } from './types';

/** The tag the job selects its devices by (the pool may hold more devices than the job takes). */
export const JOB_TAG = { key: 'bench', value: 'job' } as const;
const FINAL_STATES = ['completed', 'cancelled', 'aborted'];

/** The parts of `GET /jobs/{id}` the bench reads. */
export interface JobBody {
  id: string;
  state: string;
  /** null until the gateway has resolved the job's devices. */
  total: number | null;
  counts: Record<string, number>;
  createdAt: string;
  finishedAt?: string;
}

export function isJobBody(value: unknown): value is JobBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return (
    typeof body.id === 'string' &&
    typeof body.state === 'string' &&
    (typeof body.total === 'number' || body.total === null) &&
    typeof body.counts === 'object' &&
    body.counts !== null &&
    typeof body.createdAt === 'string'
  );
}

export function outcomesOf(job: JobBody): number {
  return Object.values(job.counts).reduce((sum, n) => sum + n, 0);
}

/**
 * The job's metrics: its run time by the gateway's clock (created → finished, so the
 * bench's polling interval does not count), device commands per second over it, and
 * the count of each outcome (`job.ok`, `job.timeout`, …).
 */
export function jobMetrics(job: JobBody): Metrics {
  const seconds = job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.createdAt)) / 1000 : Number.NaN;
  const metrics: Metrics = {
    jobSeconds: seconds,
    commandsPerSec: seconds > 0 ? outcomesOf(job) / seconds : Number.NaN,
    'job.total': job.total ?? Number.NaN,
  };
  for (const [outcome, n] of Object.entries(job.counts)) metrics[`job.${outcome}`] = n;
  return metrics;
}

export const jobScenario: Scenario = {
  name: 'job',
  summary:
    'one job (set_gpio) over N devices: commands per second, and p50/p99 of interactive calls to other devices meanwhile',
  flags: [
    { name: 'devices', description: 'devices in the job (N)', default: 10_000, smoke: 20, min: 1, integer: true },
    {
      name: 'probes',
      description: 'other devices, each called by its own client during the job (P)',
      default: 10,
      smoke: 2,
      min: 1,
      integer: true,
    },
    {
      name: 'concurrency',
      description: "the job's concurrency (devices in flight)",
      default: 50,
      smoke: 10,
      min: 1,
      max: 1000,
      integer: true,
    },
    {
      name: 'timeout-ms',
      description: "the job's per-device timeout",
      default: 10_000,
      smoke: 5000,
      min: 100,
      max: 30_000,
      integer: true,
    },
    {
      name: 'idle-seconds',
      description: 'interactive calls measured before the job (the idle baseline)',
      default: 10,
      smoke: 1,
      min: 0.1,
      integer: false,
    },
    ...CONNECT_FLAGS,
    {
      name: 'job-timeout',
      description: 'seconds allowed for the job (then it is cancelled)',
      default: 1800,
      smoke: 120,
      min: 1,
      integer: false,
    },
  ],

  async run(context, sizes) {
    const count = sizes.devices;
    const probes = sizes.probes;
    const { session, signal } = context;
    await context.pool.ensure(count + probes, signal);
    const all = context.pool.names(count + probes);
    const members = all.slice(0, count);
    const probeNames = all.slice(count);
    const problems: string[] = [];

    // The job's devices carry the tag; the probes (and any other pool device) do not.
    const tagger = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 32 });
    const tagging = new ProgressCounter(`job: tagging ${JOB_TAG.key}=${JOB_TAG.value}`, count);
    let tagFailures = 0;
    try {
      await forEachBounded(
        members,
        32,
        async (name) => {
          const res = await tagger
            .request('PATCH', `/devices/${encodeURIComponent(name)}`, {
              token: session.token,
              body: { tags: { [JOB_TAG.key]: JOB_TAG.value } },
            })
            .catch(() => undefined);
          const ok = res?.status === 200;
          if (!ok) tagFailures += 1;
          tagging.tick(ok);
        },
        signal,
      );
    } finally {
      tagger.close();
    }
    if (signal.aborted) throw new Error('interrupted');
    if (tagFailures > 0) throw new Error(`job: ${tagFailures} of ${count} devices could not be tagged`);

    const { fleet, ready } = await connectFleet(context, 'job', count + probes, sizes, problems);
    const monitor = platformMonitor(context);
    monitor.add('simulator', fleet.pids);
    monitor.add('bench', process.pid);
    const agents = probeNames.map(() => new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 1 }));
    const control = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 2 });
    try {
      /** Each probe client calls its device, one call at a time, until `until()`; latencies of calls that started at or after `from`. */
      const probe = (from: () => number, until: () => boolean, errors: ErrorCounter) => {
        const latencies: number[] = [];
        const done = Promise.all(
          agents.map(async (agent, i) => {
            while (!until() && !signal.aborted) {
              const started = performance.now();
              const outcome = await timedGet(session, agent, gpioPath(probeNames[i]));
              if (started < from()) continue;
              if (outcome.ok) latencies.push(outcome.ms);
              else errors.add(outcome.code ?? 'UNKNOWN');
            }
          }),
        );
        return { latencies, done };
      };

      progress(
        `job: idle baseline, ${probes} client(s) calling ${probes} other device(s) for ${sizes['idle-seconds']} s`,
      );
      const idleErrors = new ErrorCounter();
      const idleEnd = performance.now() + sizes['idle-seconds'] * 1000;
      const idle = probe(
        () => 0,
        () => performance.now() >= idleEnd,
        idleErrors,
      );
      await idle.done;
      if (idleErrors.total > 0) problems.push(`job: idle interactive calls failed: ${idleErrors.describe()}`);

      monitor.start();
      const loadBefore = os.loadavg()[0];
      const posted = performance.now();
      const started = await control.request('POST', '/jobs', {
        token: session.token,
        body: {
          selector: { tag: `${JOB_TAG.key}=${JOB_TAG.value}` },
          api: 'set_gpio',
          params: { number: 3, value: 1 },
          timeoutMs: sizes['timeout-ms'],
          concurrency: sizes.concurrency,
        },
        // It only stores the job (the runner resolves the selector): it answers at once, whatever the size.
        timeoutMs: 30_000,
      });
      if (started.status !== 202 || !isJobBody(started.json)) {
        throw new Error(`POST /jobs: HTTP ${started.status} ${started.text.slice(0, 300)}`);
      }
      let job: JobBody = started.json;
      progress(`job: ${job.id} ${job.state}, concurrency ${sizes.concurrency}; interactive calls meanwhile`);

      const jobStarted = performance.now();
      let finished = false;
      const busyErrors = new ErrorCounter();
      const busy = probe(
        () => jobStarted,
        () => finished,
        busyErrors,
      );
      let deadline = jobStarted + sizes['job-timeout'] * 1000;
      // Until the runner has resolved the selector (one pending result per device, then `total`), read often.
      while (job.total === null && !FINAL_STATES.includes(job.state) && !signal.aborted) {
        if (performance.now() > deadline) break;
        await sleep(100, signal);
        const res = await control.request('GET', `/jobs/${job.id}`, { token: session.token }).catch(() => undefined);
        if (res?.status === 200 && isJobBody(res.json)) job = res.json;
      }
      const resolvedMs = job.total === null ? Number.NaN : performance.now() - posted;
      if (job.total !== count) problems.push(`job: the tag selected ${job.total} devices, not ${count}`);
      progress(`job: ${job.id} over ${job.total} devices, resolved ${(resolvedMs / 1000).toFixed(1)} s after the POST`);
      let lastLine = 0;
      while (!FINAL_STATES.includes(job.state) && !signal.aborted) {
        await sleep(1000, signal);
        const res = await control.request('GET', `/jobs/${job.id}`, { token: session.token }).catch(() => undefined);
        if (res?.status === 200 && isJobBody(res.json)) job = res.json;
        if (performance.now() - lastLine >= 5000) {
          lastLine = performance.now();
          const rate = outcomesOf(job) / ((performance.now() - jobStarted) / 1000);
          progress(
            `job: ${job.state} ${outcomesOf(job)}/${job.total ?? '?'} (${rate.toFixed(0)}/s) ${JSON.stringify(job.counts)}`,
          );
        }
        if (performance.now() > deadline && !FINAL_STATES.includes(job.state)) {
          problems.push(`job: not finished after ${sizes['job-timeout']} s; cancelled`);
          await control.request('POST', `/jobs/${job.id}/cancel`, { token: session.token }).catch(() => undefined);
          deadline = Number.POSITIVE_INFINITY;
        }
      }
      finished = true;
      const loadAfter = os.loadavg()[0];
      await busy.done;
      const machineCpu = monitor.machineCpuPercent();
      const usage = monitor.stop();
      if (signal.aborted) throw new Error('interrupted');

      // Every device's result is recorded, once.
      let recorded = 0;
      let ok = 0;
      for (let after: number | undefined; ;) {
        const page = await control.request(
          'GET',
          `/jobs/${job.id}/results?limit=500${after === undefined ? '' : `&after=${after}`}`,
          { token: session.token },
        );
        const results = Array.isArray(page.json)
          ? (page.json as { index: number; state: string; outcome?: string }[])
          : [];
        recorded += results.filter((r) => r.state === 'done').length;
        ok += results.filter((r) => r.outcome === 'ok').length;
        if (results.length < 500) break;
        after = results[results.length - 1].index;
      }
      if (job.state !== 'completed') problems.push(`job: ended ${job.state}`);
      if (ok < count)
        problems.push(`job: ${count - ok} of ${count} devices did not answer ok (${JSON.stringify(job.counts)})`);
      if (recorded !== job.total) problems.push(`job: ${recorded} of ${job.total} results recorded`);
      if (busyErrors.total > 0) problems.push(`job: interactive calls failed during the job: ${busyErrors.describe()}`);

      const idleSummary = summarize(idle.latencies);
      const busySummary = summarize(busy.latencies);
      return {
        metrics: {
          devices: count,
          probes,
          concurrency: sizes.concurrency,
          /** POST /jobs until its 202: the job stored, its selector not resolved yet. */
          createMs: started.ms,
          /** POST /jobs sent until `GET /jobs/{id}` shows `total` (read every 100 ms): the selector resolved, every result row written. */
          resolvedMs,
          connected: ready.connected,
          ...jobMetrics(job),
          resultsRecorded: recorded,
          'interactive.calls': busy.latencies.length,
          'interactive.p50Ms': busySummary.p50,
          'interactive.p99Ms': busySummary.p99,
          'interactive.maxMs': busySummary.max,
          'idle.p50Ms': idleSummary.p50,
          'idle.p99Ms': idleSummary.p99,
          'interactive.p99OverIdle': idleSummary.p99 > 0 ? busySummary.p99 / idleSummary.p99 : Number.NaN,
          ...busyErrors.toMetrics('interactive.errors'),
          loadAvg1Before: loadBefore,
          loadAvg1After: loadAfter,
          ...usageMetrics(usage, true, machineCpu),
        },
        problems,
      };
    } finally {
      monitor.stop();
      for (const agent of agents) agent.close();
      control.close();
      await fleet.stop();
    }
  },
};
