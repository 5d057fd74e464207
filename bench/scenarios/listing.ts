/**
 * listing: `GET /devices` pages of a user's devices. Times the first page and a
 * page deep in the list (by default the 500th page of 20 of 10,000 devices,
 * reached with `after`), to show a page costs about the same wherever it
 * starts: the registry walks an `_id` range, it does not read every device.
 */
import { ErrorCounter, HttpsClient, summarize } from '../http';
import { progress } from '../progress';
import { poolDeviceName } from '../session';
import { timedGet } from './device-call';
import type { Scenario } from './types';

export const listingScenario: Scenario = {
  name: 'listing',
  summary: "GET /devices: the first page vs a deep page (500th of 20) of a user's 10,000 devices",
  flags: [
    { name: 'devices', description: 'pool devices the user has', default: 10_000, smoke: 40, min: 2, integer: true },
    { name: 'page-size', description: 'limit of each page', default: 20, smoke: 4, min: 1, max: 500, integer: true },
    { name: 'samples', description: 'timed requests of each page', default: 200, smoke: 5, min: 1, integer: true },
  ],

  async run(context, sizes) {
    const devices = sizes.devices;
    const pageSize = sizes['page-size'];
    await context.pool.ensure(devices, context.signal);
    const pages = Math.floor(devices / pageSize);
    // The last full page: it starts after device number (pages - 1) * pageSize.
    const deepAfter = poolDeviceName((pages - 1) * pageSize - 1);
    const firstPath = `/devices?prefix=pool-&limit=${pageSize}`;
    const deepPath = `${firstPath}&after=${deepAfter}`;
    const client = new HttpsClient(context.stack.baseUrl, context.stack.caPem, { maxSockets: 1 });
    const problems: string[] = [];
    const errors = new ErrorCounter();
    const first: number[] = [];
    const deep: number[] = [];
    try {
      progress(
        `listing: page 1 and page ${pages} (after ${deepAfter}) of ${devices} devices, ${sizes.samples} times each`,
      );
      for (let i = 0; i < sizes.samples + 5 && !context.signal.aborted; i++) {
        // Alternate, so both see the same conditions; the first 5 rounds warm up.
        for (const [path, samples, firstName] of [
          [firstPath, first, poolDeviceName(0)],
          [deepPath, deep, poolDeviceName((pages - 1) * pageSize)],
        ] as const) {
          const outcome = await timedGet(context.session, client, path);
          const body = outcome.response?.json as { name?: string }[] | undefined;
          if (!outcome.ok || !Array.isArray(body)) {
            errors.add(outcome.code ?? 'UNKNOWN');
          } else if (body.length !== pageSize || body[0]?.name !== firstName) {
            errors.add('WRONG_PAGE');
          } else if (i >= 5) {
            samples.push(outcome.ms);
          }
        }
      }
    } finally {
      client.close();
    }
    if (context.signal.aborted) throw new Error('interrupted');
    if (errors.total > 0) problems.push(`listing: ${errors.total} failed or wrong page(s): ${errors.describe()}`);
    const a = summarize(first);
    const b = summarize(deep);
    return {
      metrics: {
        devices,
        pageSize,
        deepPage: pages,
        'firstPage.p50Ms': a.p50,
        'firstPage.p99Ms': a.p99,
        'deepPage.p50Ms': b.p50,
        'deepPage.p99Ms': b.p99,
        deepOverFirstP50: a.p50 > 0 ? b.p50 / a.p50 : Number.NaN,
        ...errors.toMetrics(),
      },
      problems,
    };
  },
};
