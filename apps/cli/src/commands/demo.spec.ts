import { rmSync } from 'node:fs';
import { ApiError, ExitCode } from '../errors';
import { FakeTransport, fakeContext } from '../../test/fake-context';
import { DemoReport, demo, percentile } from './demo';

describe('percentile (nearest rank)', () => {
  it.each<[number[], number, number]>([
    [[], 50, 0],
    [[7], 50, 7],
    [[4, 1, 3, 2], 50, 2],
    [[5, 1, 4, 2, 3], 50, 3],
    [[5, 1, 4, 2, 3], 100, 5],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90, 90],
  ])('%j p%i = %i', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('demo', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function context(http: FakeTransport) {
    const ctx = fakeContext(http);
    dirs.push(ctx.dir);
    return ctx;
  }

  it('counts a pin that does not change as a failure (exit 6)', async () => {
    // A device that acknowledges gpio set but never changes the pin.
    const http = new FakeTransport(({ path }) => {
      if (path.includes('/gpio/')) return { status: 200, body: { number: 2, value: 0 } };
      return { status: 200, body: { status: 'running', value: '1.2.3.4', data: 'x' } };
    });
    const ctx = context(http);
    const result = await demo(ctx, { kind: 'demo', name: 'lamp', pin: 2 });
    const report = result.json as DemoReport;

    expect(result.exitCode).toBe(ExitCode.device);
    expect(report.summary.failures).toBe(2); // set answered 0 instead of 1, and the pin read back 0
    expect(report.calls.filter((c) => !c.ok).map((c) => c.step)).toEqual(['gpio set 2', 'gpio get 2']);
    expect(ctx.lines.join('\n')).toMatch(/FAILED: .*pin 2 did not change to 1/);
  });

  it('sends the device timeout with every call', async () => {
    const http = new FakeTransport(() => ({ status: 200, body: { value: 0 } }));
    const ctx = fakeContext(http, { timeoutMs: 1500 });
    dirs.push(ctx.dir);
    await demo(ctx, { kind: 'demo', name: 'lamp', pin: 0 });
    expect(http.sent).toHaveLength(12);
    expect(http.sent.every((r) => r.options.query?.timeout === 1500 && r.options.token === 'tok')).toBe(true);
  });

  it('aborts on 401 instead of failing twelve times', async () => {
    const http = new FakeTransport(() => {
      throw new ApiError(401, 'UNAUTHORIZED', 'Invalid or expired access token');
    });
    const ctx = context(http);
    await expect(demo(ctx, { kind: 'demo', name: 'lamp', pin: 0 })).rejects.toMatchObject({ statusCode: 401 });
    expect(http.sent).toHaveLength(1);
  });

  it('uses the first failure for the exit code, and still runs every step', async () => {
    const pins = new Map<string, number>();
    const http = new FakeTransport(({ method, path, options }) => {
      if (path.endsWith('/status') && method === 'GET') throw new ApiError(500, 'INTERNAL_ERROR', 'oops');
      if (path.endsWith('/rtc')) throw new ApiError(502, 'DEVICE_BAD_REPLY', 'bad');
      if (path.includes('/gpio/')) {
        if (method === 'PUT') pins.set(path, (options.body as { value: number }).value);
        return { status: 200, body: { number: 0, value: pins.get(path) ?? 0 } };
      }
      return { status: 200, body: { value: 'x', status: 'restarting' } };
    });
    const ctx = context(http);
    const result = await demo(ctx, { kind: 'demo', name: 'lamp', pin: 0 });
    const report = result.json as DemoReport;
    expect(result.exitCode).toBe(ExitCode.internal);
    expect(report.calls.filter((c) => !c.ok).map((c) => c.step)).toEqual(['status', 'rtc get', 'rtc set (now)']);
    expect(report.calls[0].error).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'oops' });
    expect(http.sent).toHaveLength(12);
  });
});
