import { CpuProfile, formatProfileSummary, moduleOf, summarizeProfile } from './profile-summary';

describe('moduleOf', () => {
  it('names npm packages, scoped ones included', () => {
    expect(moduleOf('file:///work/main/node_modules/express/lib/router/index.js', 'handle')).toBe('express');
    expect(moduleOf('file:///work/main/node_modules/@nestjs/core/router/router-proxy.js', 'x')).toBe('@nestjs/core');
    expect(moduleOf('file:///r/node_modules/a/node_modules/b/index.js', 'x')).toBe('b');
  });

  it('names node internals and our own files', () => {
    expect(moduleOf('node:internal/tls/wrap', 'x')).toBe('node:internal/tls');
    expect(moduleOf('node:events', 'emit')).toBe('node:events');
    expect(moduleOf('file:///work/main/dist/apps/api-gateway/apps/api-gateway/src/main.js', 'x')).toBe(
      'app:apps/api-gateway/src/main.js',
    );
    expect(moduleOf('file:///work/main/dist/apps/api-gateway/libs/common/src/index.js', 'x')).toBe(
      'app:libs/common/src/index.js',
    );
  });

  it('keeps V8 pseudo-frames', () => {
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(moduleOf('', 'writev')).toBe('(native)');
  });
});

describe('summarizeProfile', () => {
  const frame = (functionName: string, url = '', lineNumber = 0) => ({
    functionName,
    url,
    lineNumber,
    columnNumber: 0,
  });
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 10_000,
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('handle', 'file:///x/node_modules/express/lib/router/index.js', 9) },
      { id: 4, callFrame: frame('(garbage collector)') },
      { id: 5, callFrame: frame('verify', 'file:///x/node_modules/jsonwebtoken/verify.js', 0) },
    ],
    // Each sample stands for the delta to the next one (µs).
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [0, 1000, 2000, 2000, 1000, 4000],
  };

  it('adds up self time per function and module, apart from idle', () => {
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(10);
    expect(summary.idleMs).toBe(1);
    expect(summary.busyMs).toBe(9);
    expect(summary.gcMs).toBe(1);
    expect(summary.modules.map((m) => [m.name, m.selfMs])).toEqual([
      ['express', 4],
      ['jsonwebtoken', 4],
      ['(garbage collector)', 1],
    ]);
    expect(summary.functions[0]).toMatchObject({ name: 'handle express:10', selfMs: 4 });
    expect(summary.functions[0].percent).toBeCloseTo(44.44, 1);
  });

  it('falls back to hit counts without samples', () => {
    const summary = summarizeProfile({
      startTime: 0,
      endTime: 4000,
      nodes: [
        { id: 1, callFrame: frame('a', 'node:fs'), hitCount: 3 },
        { id: 2, callFrame: frame('(idle)'), hitCount: 1 },
      ],
    });
    expect(summary.modules).toEqual([{ name: 'node:fs', selfMs: 3, percent: 100 }]);
    expect(formatProfileSummary('p', summary)).toContain('node:fs');
  });
});
