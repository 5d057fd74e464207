import { Run, median, parseAlternateArgs, summarize } from './alternate';

describe('alternate', () => {
  it('reads the settings, the repetitions and the bench arguments', () => {
    const options = parseAlternateArgs([
      '--reps',
      '2',
      '--setting',
      'on',
      'COMMAND_HISTORY=true',
      '--setting',
      'off',
      'COMMAND_HISTORY=false',
      'LOG_LEVEL=warn',
      '--',
      'throughput',
      '--seconds',
      '10',
    ]);
    expect(options).toEqual({
      reps: 2,
      settings: [
        { label: 'on', env: { COMMAND_HISTORY: 'true' } },
        { label: 'off', env: { COMMAND_HISTORY: 'false', LOG_LEVEL: 'warn' } },
      ],
      benchArgs: ['throughput', '--seconds', '10'],
    });
  });

  it('refuses one setting alone, unknown arguments and a bench --out', () => {
    expect(() => parseAlternateArgs(['--setting', 'on', 'A=1'])).toThrow(/two/);
    expect(() => parseAlternateArgs(['--nope'])).toThrow(/unknown/);
    expect(() =>
      parseAlternateArgs(['--setting', 'a', 'A=1', '--setting', 'b', 'A=2', '--', 'latency', '--out', 'x']),
    ).toThrow(/--out/);
  });

  it('takes medians per setting and the ratio to the first setting', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([Number.NaN])).toBeNaN();
    const run = (rep: number, setting: string, rate: number): Run => ({
      rep,
      setting,
      startedAt: '',
      exitCode: 0,
      loadBefore: 1,
      loadAfter: 1,
      metrics: { throughput: { roundTripsPerSec: rate } },
    });
    const rows = summarize(
      [
        run(1, 'on', 90),
        run(1, 'off', 100),
        run(2, 'on', 110),
        run(2, 'off', 120),
        run(3, 'on', 100),
        run(3, 'off', 110),
      ],
      [
        { label: 'on', env: {} },
        { label: 'off', env: {} },
      ],
    );
    expect(rows).toEqual([
      {
        scenario: 'throughput',
        metric: 'roundTripsPerSec',
        medians: { on: 100, off: 110 },
        ratios: { on: 1, off: 1.1 },
      },
    ]);
  });
});
