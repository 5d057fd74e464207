import {
  ErrorCounter,
  HttpResponse,
  NetworkError,
  errorCodeOf,
  forEachBounded,
  parseServerTiming,
  percentile,
  summarize,
} from './http';

function response(status: number, json: unknown): HttpResponse {
  return { status, headers: {}, text: JSON.stringify(json), json, ms: 1 };
}

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the smallest value with at least p % at or below it', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 90)).toBe(90);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0.5)).toBe(1);
  });

  it('handles small samples', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2], 50)).toBe(1);
    expect(percentile([1, 2], 51)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it('is NaN without values and refuses p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('sorts numerically (not as strings) and leaves the input alone', () => {
    const values = [10, 9, 100, 1, 2];
    const summary = summarize(values);
    expect(values).toEqual([10, 9, 100, 1, 2]);
    expect(summary).toEqual({ count: 5, min: 1, mean: 24.4, p50: 9, p90: 100, p99: 100, max: 100 });
  });

  it('gives NaN fields for no values', () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeNaN();
    expect(summary.max).toBeNaN();
    expect(summary.mean).toBeNaN();
  });
});

describe('parseServerTiming', () => {
  it('reads dur of each entry', () => {
    expect(parseServerTiming('device;dur=1.23')).toEqual({ device: 1.23 });
    expect(parseServerTiming('db;dur=4, device;desc="x";dur=0.5, cache')).toEqual({ db: 4, device: 0.5 });
    expect(parseServerTiming(['a;dur=1', 'b;dur=2'])).toEqual({ a: 1, b: 2 });
  });

  it('is empty without a header or durations', () => {
    expect(parseServerTiming(undefined)).toEqual({});
    expect(parseServerTiming('device;dur=abc')).toEqual({});
  });
});

describe('errorCodeOf', () => {
  it('takes the platform code from the error body', () => {
    expect(errorCodeOf(response(429, { statusCode: 429, code: 'DEVICE_BUSY', message: 'busy' }))).toBe('DEVICE_BUSY');
  });

  it('falls back to the HTTP status', () => {
    expect(errorCodeOf(response(500, { message: 'x' }))).toBe('HTTP_500');
    expect(errorCodeOf(response(502, undefined))).toBe('HTTP_502');
    expect(errorCodeOf(response(400, { code: 'not a code!' }))).toBe('HTTP_400');
  });

  it('names network failures', () => {
    expect(errorCodeOf(new NetworkError('refused', 'ECONNREFUSED'))).toBe('NETWORK_ECONNREFUSED');
    expect(errorCodeOf(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe('NETWORK_ECONNRESET');
    expect(errorCodeOf(new Error('??'))).toBe('NETWORK_ERROR');
  });
});

describe('ErrorCounter', () => {
  it('gives a total and one metric per code, most frequent first', () => {
    const counter = new ErrorCounter();
    for (const code of ['DEVICE_TIMEOUT', 'DEVICE_BUSY', 'DEVICE_BUSY']) counter.add(code);
    expect(counter.total).toBe(3);
    expect(counter.toMetrics()).toEqual({ errors: 3, 'errors.DEVICE_BUSY': 2, 'errors.DEVICE_TIMEOUT': 1 });
    expect(Object.keys(counter.toMetrics())).toEqual(['errors', 'errors.DEVICE_BUSY', 'errors.DEVICE_TIMEOUT']);
    expect(counter.describe()).toBe('DEVICE_TIMEOUT x 1, DEVICE_BUSY x 2');
  });

  it('reports zero errors as errors: 0', () => {
    expect(new ErrorCounter().toMetrics('rsa.errors')).toEqual({ 'rsa.errors': 0 });
  });
});

describe('forEachBounded', () => {
  it('never runs more than `concurrency` at once and visits every item once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(item);
      running -= 1;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('stops launching when the signal aborts', async () => {
    const abort = new AbortController();
    const seen: number[] = [];
    await forEachBounded(
      [1, 2, 3, 4],
      1,
      async (item) => {
        seen.push(item);
        if (item === 2) abort.abort();
      },
      abort.signal,
    );
    expect(seen).toEqual([1, 2]);
  });
});
