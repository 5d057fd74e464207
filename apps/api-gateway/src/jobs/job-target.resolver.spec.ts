import type { QueryBus } from '@nestjs/cqrs';
import type { DeviceRepository } from '../devices/database/device.repository.port';
import type { DeviceListFilter } from '../devices/domain/device';
import { ListDevicesQuery } from '../devices/queries/list-devices/list-devices.query';
import { MemoryJobs } from './database/job.repository.in-memory-spec';
import { JobTargetResolver } from './job-target.resolver';

/** The registry's listing (name order, `after`, `limit`), over a fleet the test may change; online devices apart. */
class Registry {
  constructor(
    public names: string[],
    public online: string[] = [],
  ) {}
  listed: DeviceListFilter[] = [];
  page(filter: DeviceListFilter, among = this.names) {
    this.listed.push(filter);
    const after = [...among].sort().filter((name) => filter.after === undefined || name > filter.after);
    return after.slice(0, filter.limit).map((name) => ({ name }));
  }
  get devices(): DeviceRepository {
    return { listActive: (_owner: string, filter: DeviceListFilter) => Promise.resolve(this.page(filter)) } as never;
  }
  get queries(): QueryBus {
    return {
      execute: (query: ListDevicesQuery) => Promise.resolve(this.page(query.filter, this.online)),
    } as never;
  }
}

const names = (n: number, prefix = 'lamp') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
const never = () => Promise.resolve(false);

function resolverOn(memory: MemoryJobs, registry: Registry, batch = 3, max = 1000): JobTargetResolver {
  const resolver = new JobTargetResolver(memory.repository, registry.devices, registry.queries);
  resolver.limits = { batch, max };
  return resolver;
}

/** Stops after `batches` batches (the runner stopping, its lease lost, or the process dying between writes). */
function stopAfter(batches: number) {
  let asked = 0;
  return () => Promise.resolve(asked++ >= batches);
}

describe('JobTargetResolver', () => {
  it('writes one pending result per named device, in the order given, in batches, then sets total', async () => {
    const memory = new MemoryJobs({ devices: ['b', 'a', 'c', 'e', 'd'] });
    expect(await resolverOn(memory, new Registry([])).resolve(memory.job, never)).toEqual({ total: 5 });
    expect(memory.ordered().map((r) => [r.index, r.name, r.state])).toEqual([
      [0, 'b', 'pending'],
      [1, 'a', 'pending'],
      [2, 'c', 'pending'],
      [3, 'e', 'pending'],
      [4, 'd', 'pending'],
    ]);
    expect(memory.calls.filter((c) => c === 'insertResults')).toHaveLength(2); // batches of 3
    expect(memory.job).toMatchObject({ total: 5 });
    expect(memory.job.devices).toBeUndefined(); // the rows hold them now
  });

  it('resolves a selector a page at a time, in name order; none matching gives total 0', async () => {
    const registry = new Registry(names(7));
    const memory = new MemoryJobs({ selector: { tag: 'site=north' } });
    expect(await resolverOn(memory, registry).resolve(memory.job, never)).toEqual({ total: 7 });
    expect(memory.ordered().map((r) => r.name)).toEqual(names(7));
    expect(registry.listed.map((f) => f.after)).toEqual([undefined, 'lamp-02', 'lamp-05']);
    expect(registry.listed.every((f) => f.limit === 3 && f.tags?.[0]?.join('=') === 'site=north')).toBe(true);

    const empty = new MemoryJobs({ selector: { tag: 'site=nowhere' } });
    expect(await resolverOn(empty, new Registry([])).resolve(empty.job, never)).toEqual({ total: 0 });
    expect(empty.rows.size).toBe(0);
  });

  it('online: the devices connected when the runner resolves the job', async () => {
    const memory = new MemoryJobs({ selector: { online: true } });
    const registry = new Registry(names(6), ['lamp-01', 'lamp-04']);
    expect(await resolverOn(memory, registry).resolve(memory.job, never)).toEqual({ total: 2 });
    expect(memory.ordered().map((r) => r.name)).toEqual(['lamp-01', 'lamp-04']);
  });

  it('redone after a stop midway, keeps what was written and goes on: no device twice, even if the fleet changed', async () => {
    const registry = new Registry(names(8));
    const memory = new MemoryJobs({ selector: { all: true } });
    expect(await resolverOn(memory, registry).resolve(memory.job, stopAfter(1))).toEqual({ stopped: true });
    expect(memory.ordered().map((r) => r.name)).toEqual(names(3)); // one batch written
    expect(memory.job.total).toBeNull();
    // Meanwhile a device appears before the last one written, one after, and one written is removed.
    registry.names = [...names(8).filter((n) => n !== 'lamp-01'), 'lamp-00a', 'lamp-99'];
    const redone = await resolverOn(memory, registry).resolve(memory.job, never);
    const rows = memory.ordered();
    expect(rows.map((r) => r.index)).toEqual(rows.map((_, i) => i));
    expect(rows.map((r) => r.name)).toEqual([...names(8), 'lamp-99']); // the first batch kept as written
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    expect(redone).toEqual({ total: rows.length });
  });

  it('redoing a named job finds every row written: nothing written twice, total set', async () => {
    const memory = new MemoryJobs({ devices: names(7) });
    // The runner dies once every row is written, before `total` is.
    const setResolved = memory.setResolved.bind(memory);
    memory.setResolved = () => Promise.reject(new Error('database down'));
    await expect(resolverOn(memory, new Registry([])).resolve(memory.job, never)).rejects.toThrow('database down');
    memory.setResolved = setResolved;
    expect(memory.rows.size).toBe(7);
    expect(memory.job.total).toBeNull();
    memory.calls.length = 0;
    expect(await resolverOn(memory, new Registry([])).resolve(memory.job, never)).toEqual({ total: 7 });
    expect(memory.calls).not.toContain('insertResults');
    expect(memory.ordered().map((r) => r.name)).toEqual(names(7));
  });

  it('two resolvers at once (a lease that ran out under a stalled runner) make one row per device', async () => {
    const registry = new Registry(names(20));
    const memory = new MemoryJobs({ selector: { all: true } });
    const [a, b] = await Promise.all([
      resolverOn(memory, registry).resolve(memory.job, never),
      resolverOn(memory, registry).resolve(memory.job, never),
    ]);
    expect(a).toEqual({ total: 20 });
    expect(b).toEqual({ total: 20 });
    expect(memory.ordered().map((r) => r.name)).toEqual(names(20));
  });

  it('refuses a selector that matches more devices than a job takes, without setting total', async () => {
    const memory = new MemoryJobs({ selector: { all: true } });
    const outcome = await resolverOn(memory, new Registry(names(10)), 3, 8).resolve(memory.job, never);
    expect(outcome).toEqual({ refused: { code: 'INVALID_JOB', message: 'the selector matches more than 8 devices' } });
    expect(memory.job.total).toBeNull();
  });

  it('refuses a job stored without a target rather than reading it as every device', async () => {
    const memory = new MemoryJobs({ selector: {} });
    const outcome = await resolverOn(memory, new Registry(names(3))).resolve(memory.job, never);
    expect(outcome).toEqual({ refused: { code: 'INVALID_JOB', message: 'the job has no target' } });
    expect(memory.rows.size).toBe(0);
  });

  it('never widens a job whose stored tag no longer parses to every device', async () => {
    const memory = new MemoryJobs({ selector: { tag: 'no-equals-sign' } });
    await expect(resolverOn(memory, new Registry(names(3))).resolve(memory.job, never)).rejects.toThrow(
      /not key=value/,
    );
    expect(memory.rows.size).toBe(0);
  });
});
