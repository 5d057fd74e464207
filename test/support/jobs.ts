// Jobs (bulk commands) as the e2e specs drive them: a fleet of simulated devices that counts
// the commands each receives, and a client that starts a job, polls it to its end and pages
// through its results.
import { ConnectedDevice } from '../../apps/device-simulator/src';
import { request } from './https-client';
import { Registration, connectDevice } from './simulated-devices';

/** The parts of `GET /jobs/{id}` the specs read. */
export interface Job {
  id: string;
  state: string;
  /** null until the gateway has resolved the job's devices (as `POST /jobs` answers). */
  total: number | null;
  counts: Record<string, number>;
}

/** One item of `GET /jobs/{id}/results`. */
export interface JobResult {
  index: number;
  device: string;
  state: string;
  outcome?: string;
  reply?: Record<string, unknown>;
}

const FINAL_STATES = ['completed', 'cancelled', 'aborted'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Devices that count the `set_gpio` requests each receives, by name. */
export interface Fleet {
  devices: ConnectedDevice[];
  received: Map<string, number>;
}

/**
 * Registers every name (EC keys, with `tags`) and connects it as a simulated MQTT device,
 * `concurrency` at a time.
 */
export async function startFleet(
  baseUrl: string,
  token: string,
  names: readonly string[],
  options: { tags: Record<string, string>; concurrency: number },
): Promise<Fleet> {
  const fleet: Fleet = { devices: [], received: new Map() };
  let next = 0;
  const setUp = async () => {
    while (next < names.length) {
      const name = names[next++];
      // A fresh connection each: with this many at once in one busy process, a kept-alive socket may be
      // closed by the server just as it is reused ("socket hang up").
      const res = await request<Registration>(baseUrl, 'POST', '/devices', {
        token,
        body: { name, keyType: 'ec', tags: options.tags },
        headers: { connection: 'close' },
      });
      if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${res.text}`);
      const device = await connectDevice(res.body, 'mqtt');
      device.on('request', (event) => {
        if (event.api === 'set_gpio') fleet.received.set(name, (fleet.received.get(name) ?? 0) + 1);
      });
      fleet.devices.push(device);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, setUp));
  return fleet;
}

/** `POST /jobs`, `GET /jobs/{id}` and its results, as the user `token()` on the gateway `baseUrl()`. */
export class JobsClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly token: () => string,
  ) {}

  start(body: object) {
    return request<Job>(this.baseUrl(), 'POST', '/jobs', { token: this.token(), body });
  }

  async get(id: string): Promise<Job> {
    return (await request<Job>(this.baseUrl(), 'GET', `/jobs/${id}`, { token: this.token() })).body;
  }

  /** The job once it is completed, cancelled or aborted, or as it stands after `timeoutMs`. */
  async waitFinal(id: string, { timeoutMs = 60_000, pollMs = 200 } = {}): Promise<Job> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.get(id);
      if (FINAL_STATES.includes(job.state) || Date.now() > until) return job;
      await sleep(pollMs);
    }
  }

  /** Every result, page by page (`limit`, `after`). */
  async results(id: string, pageSize: number): Promise<JobResult[]> {
    const all: JobResult[] = [];
    for (let after = -1; ;) {
      const cursor = after < 0 ? '' : `&after=${after}`;
      const page = await request<JobResult[]>(this.baseUrl(), 'GET', `/jobs/${id}/results?limit=${pageSize}${cursor}`, {
        token: this.token(),
      });
      if (page.status !== 200) throw new Error(`GET /jobs/${id}/results: ${page.status} ${page.text}`);
      all.push(...page.body);
      if (page.body.length < pageSize) return all;
      after = page.body[page.body.length - 1].index;
    }
  }
}

/** Outcomes counted so far. */
export function outcomes(job: Job): number {
  return Object.values(job.counts).reduce((a, b) => a + b, 0);
}
