import { planFleet } from './fleet';

describe('planFleet', () => {
  it('keeps a fleet up to the per-process bound in one process, on the default source address', () => {
    expect(planFleet(200)).toEqual([{ offset: 0, count: 200 }]);
    expect(planFleet(15_000)).toEqual([{ offset: 0, count: 15_000 }]);
  });

  it('shares a bigger fleet evenly, each process on its own loopback address', () => {
    expect(planFleet(50_000)).toEqual([
      { offset: 0, count: 12_500, localAddresses: ['127.0.0.2'] },
      { offset: 12_500, count: 12_500, localAddresses: ['127.0.0.3'] },
      { offset: 25_000, count: 12_500, localAddresses: ['127.0.0.4'] },
      { offset: 37_500, count: 12_500, localAddresses: ['127.0.0.5'] },
    ]);
    const parts = planFleet(7, 3);
    expect(parts.map((p) => p.count)).toEqual([3, 3, 1]);
    expect(parts.reduce((sum, p) => sum + p.count, 0)).toBe(7);
  });
});
