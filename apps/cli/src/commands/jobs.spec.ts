import { DEVICE_APIS, parseDeviceRequest } from '@app/device-protocol';
import { FakeTransport, SentRequest, fakeContext } from '../../test/fake-context';
import { CommandOf, Operation, parseCommandLine } from '../args';
import { ApiError, ExitCode, GatewayUnreachableError } from '../errors';
import { HttpResponse } from '../http-client';
import { operationCall } from './device-ops';
import {
  FOLLOW_OUTAGE_MS,
  JobView,
  LINE_EVERY_MS,
  cancelJob,
  formatCounts,
  jobExitCode,
  jobRequestBody,
  progressBar,
  runJob,
  showJob,
} from './jobs';

const ID = '0123456789abcdef01234567';

function job(state: string, counts: Record<string, number>, total: number | null = 4): Record<string, unknown> {
  return {
    id: ID,
    state,
    api: 'set_gpio',
    params: { number: 3, value: 1 },
    total,
    counts,
    createdAt: '2026-12-07T10:00:00.000Z',
    ...(['completed', 'cancelled', 'aborted'].includes(state) ? { finishedAt: '2026-12-07T10:00:02.500Z' } : {}),
  };
}

function jobRun(argv: string[]): CommandOf<'job.run'> {
  return parseCommandLine(['job', 'run', ...argv]).command as CommandOf<'job.run'>;
}

/** A gateway whose GET /jobs/{id} answers the given bodies in turn (the last one again after that). */
function gatewayWith(states: (Record<string, unknown> | Error)[]): FakeTransport {
  let reads = 0;
  return new FakeTransport((req: SentRequest): HttpResponse => {
    // As the gateway answers: stored, its devices not resolved yet.
    if (req.method === 'POST' && req.path === '/jobs') return { status: 202, body: job('queued', {}, null) };
    const next = states[Math.min(reads++, states.length - 1)];
    if (next instanceof Error) throw next;
    return { status: 200, body: next };
  });
}

describe('operationCall: the one mapping from operation words to the device API', () => {
  const operations: [string[], string, Record<string, unknown>][] = [
    [['status'], 'get_status', {}],
    [['restart'], 'set_status', { status: 'restart' }],
    [['gpio', 'get', '5'], 'get_gpio', { number: 5 }],
    [['gpio', 'set', '5', '1'], 'set_gpio', { number: 5, value: 1 }],
    [['rtc', 'get'], 'get_rtc', {}],
    [['rtc', 'set'], 'set_rtc', { value: 1_700_000_000 }],
    [['rtc', 'set', '42'], 'set_rtc', { value: 42 }],
    [['mac', 'get'], 'get_mac', {}],
    [['mac', 'set', '02:00:00:AA:BB:CC'], 'set_mac', { value: '02:00:00:aa:bb:cc' }],
    [['ip'], 'get_ip', {}],
    [['subnet'], 'get_subnet', {}],
    [['gateway'], 'get_gateway', {}],
    [['uart', 'hi'], 'write_uart', { data: 'hi' }],
  ];

  it.each(operations)('%j → %s %j, a request the protocol accepts', (words, api, request) => {
    const { operation } = jobRun([...words, '--all']);
    const call = operationCall(operation, 1_700_000_000_123);
    expect(call).toEqual({ api, request });
    expect(parseDeviceRequest(call.api, call.request)).toEqual(request);
  });

  it('covers every device API', () => {
    const apis = operations.map(([words]) => operationCall(jobRun([...words, '--all']).operation, 0).api);
    expect(new Set(apis)).toEqual(new Set(DEVICE_APIS));
  });
});

describe('jobRequestBody', () => {
  it('is the POST /jobs body: target, api, params and only the options given', () => {
    expect(jobRequestBody(jobRun(['gpio', 'set', '3', '1', '--devices', 'a,b']), 0)).toEqual({
      devices: ['a', 'b'],
      api: 'set_gpio',
      params: { number: 3, value: 1 },
    });
    const full = jobRun([
      'restart',
      '--tag',
      'site=north',
      '--online',
      '--concurrency',
      '7',
      '--rate',
      '0.5',
      '--abort-percent',
      '20',
      '--abort-min',
      '3',
    ]);
    expect(jobRequestBody(full, 0, 900)).toEqual({
      selector: { tag: 'site=north', online: true },
      api: 'set_status',
      params: { status: 'restart' },
      timeoutMs: 900,
      concurrency: 7,
      ratePerSecond: 0.5,
      abort: { failedPercent: 20, minOutcomes: 3 },
    });
  });

  it('refuses a request the protocol would refuse, as a usage error', () => {
    const command = jobRun(['status', '--all']);
    const bad = { ...command, operation: { kind: 'gpio.set', pin: 3, value: 7 } as unknown as Operation };
    expect(() => jobRequestBody(bad, 0)).toThrow(/value/);
  });
});

describe('runJob', () => {
  it('--no-wait prints only the id and reads nothing more', async () => {
    const http = gatewayWith([job('running', {})]);
    const ctx = fakeContext(http);
    const result = await runJob(ctx, jobRun(['status', '--all', '--no-wait']));
    expect(result.human).toBe(ID);
    expect(result.exitCode).toBeUndefined();
    expect(http.sent.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /jobs']);
    expect(http.sent[0].options.token).toBe('tok');
  });

  it('follows the job to its end with plain lines when stdout is not a terminal; exit 0 when all are ok', async () => {
    const http = gatewayWith([job('running', { ok: 1 }), job('running', { ok: 3 }), job('completed', { ok: 4 })]);
    const ctx = fakeContext(http, { timeoutMs: 800 });
    let clock = 0;
    const slept: number[] = [];
    const timed = {
      ...ctx,
      now: () => clock,
      sleep: (ms: number) => {
        slept.push(ms);
        clock += LINE_EVERY_MS; // a line per poll
        return Promise.resolve();
      },
    };
    const result = await runJob(timed, jobRun(['gpio', 'set', '3', '1', '--all']));
    expect(http.sent[0].options.body).toMatchObject({ selector: { all: true }, timeoutMs: 800 });
    expect(ctx.lines[0]).toMatch(new RegExp(`^job ${ID}: set_gpio \\{"number":3,"value":1\\} on all your devices \\(`));
    expect(ctx.lines.slice(1)).toEqual([
      `job ${ID}: queued, finding its devices, 0.0 s`,
      `job ${ID}: running, 1/4 done (ok 1), 5.0 s`,
      `job ${ID}: running, 3/4 done (ok 3), 10.0 s`,
      `job ${ID}: completed, 4/4 done (ok 4), 15.0 s`,
    ]);
    expect(result.exitCode).toBe(ExitCode.ok);
    // The gateway's own run time (createdAt → finishedAt), not the client's.
    expect(result.human).toBe(`job ${ID} completed: 4/4 devices done (ok 4) in 2.5 s`);
    expect(result.json).toMatchObject({ id: ID, state: 'completed' });
    expect(slept.every((ms) => ms === 1000)).toBe(true);
  });

  it('prints no more than a line every few seconds, and always the last one', async () => {
    const http = gatewayWith([job('running', { ok: 1 }), job('running', { ok: 2 }), job('completed', { ok: 4 })]);
    const ctx = fakeContext(http); // its clock stands still
    await runJob(ctx, jobRun(['status', '--all']));
    expect(ctx.lines.slice(1)).toEqual([
      `job ${ID}: queued, finding its devices, 0.0 s`,
      `job ${ID}: completed, 4/4 done (ok 4), 0.0 s`,
    ]);
  });

  it('draws a bar in place on a terminal, and ends its line', async () => {
    const http = gatewayWith([job('running', { ok: 2 }), job('aborted', { ok: 2, timeout: 1 })]);
    const drawn: string[] = [];
    const ctx = { ...fakeContext(http), tty: true, redraw: (line: string) => void drawn.push(line) };
    const result = await runJob(ctx, jobRun(['status', '--all']));
    expect(drawn).toEqual([
      `[------------------------]    ?  finding its devices  0.0 s`,
      `[############------------]  50%  2/4  ok 2  0.0 s`,
      `[##################------]  75%  3/4  ok 2, timeout 1  0.0 s`,
    ]);
    expect(ctx.lines).toHaveLength(2); // the start line, then the newline that ends the bar
    expect(ctx.lines[1]).toBe('');
    expect(result.exitCode).toBe(ExitCode.device);
    expect(result.human).toContain(`job show ${ID} --results`);
  });

  it('follows a job cancelled before its devices were resolved, and says so', async () => {
    const http = gatewayWith([job('queued', {}, null), job('cancelled', {}, null)]);
    const ctx = fakeContext(http);
    const result = await runJob(ctx, jobRun(['status', '--tag', 'site=north', '--online']));
    expect(ctx.lines[0]).toMatch(
      new RegExp(`^job ${ID}: set_gpio \\{"number":3,"value":1\\} on your devices tagged site=north online now \\(`),
    );
    expect(ctx.lines.slice(1)).toEqual([
      `job ${ID}: queued, finding its devices, 0.0 s`,
      `job ${ID}: cancelled, finding its devices, 0.0 s`,
    ]);
    expect(result.human).toBe(`job ${ID} cancelled before its devices were resolved, in 2.5 s`);
    expect(result.exitCode).toBe(ExitCode.device);
  });

  it('names the count of named devices at once (duplicates once)', async () => {
    const ctx = fakeContext(gatewayWith([job('completed', { ok: 2 }, 2)]));
    await runJob(ctx, jobRun(['status', '--devices', 'a,b,a']));
    expect(ctx.lines[0]).toMatch(new RegExp(`^job ${ID}: set_gpio \\{"number":3,"value":1\\} on 2 device\\(s\\) \\(`));
  });

  it('waits out a gateway that is briefly away, then gives up after a while', async () => {
    const away = new GatewayUnreachableError('https://gw', 'GATEWAY_UNREACHABLE', 'ECONNREFUSED', 'refused');
    const ok = await runJob(
      fakeContext(gatewayWith([away, new ApiError(503, 'DATABASE_UNAVAILABLE', 'db'), job('completed', { ok: 4 })])),
      jobRun(['status', '--all']),
    );
    expect(ok.exitCode).toBe(ExitCode.ok);

    const ctx = fakeContext(gatewayWith([away]));
    let clock = 0;
    const timed = { ...ctx, now: () => clock, sleep: () => Promise.resolve(void (clock += 1000)) };
    await expect(runJob(timed, jobRun(['status', '--all']))).rejects.toBe(away);
    expect(clock).toBeGreaterThanOrEqual(FOLLOW_OUTAGE_MS);
  });

  it('stops at once on an answer that will not change (a 404)', async () => {
    const gone = new ApiError(404, 'JOB_NOT_FOUND', 'No job');
    await expect(runJob(fakeContext(gatewayWith([gone])), jobRun(['status', '--all']))).rejects.toBe(gone);
  });
});

describe('showJob and cancelJob', () => {
  it('shows state and counts; --results pages through every result', async () => {
    const results = Array.from({ length: 503 }, (_, index) => ({
      index,
      device: `lamp-${index}`,
      state: 'done',
      ...(index === 1
        ? { outcome: 'timeout', error: { code: 'DEVICE_TIMEOUT', message: 'no answer' } }
        : { outcome: 'ok', reply: { status: 'running' } }),
    }));
    const http = new FakeTransport((req) => {
      if (req.path === `/jobs/${ID}`) return { status: 200, body: job('completed', { ok: 502, timeout: 1 }, 503) };
      const after = req.options.query?.after;
      const from = after === undefined ? 0 : Number(after) + 1;
      return { status: 200, body: results.slice(from, from + Number(req.options.query?.limit)) };
    });
    const plain = await showJob(fakeContext(http), { kind: 'job.show', id: ID, results: false });
    expect(plain.human).toContain('state:     completed');
    expect(plain.human).toContain('outcomes:  ok 502, timeout 1');
    expect(http.sent).toHaveLength(1);

    const all = await showJob(fakeContext(http), { kind: 'job.show', id: ID, results: true });
    expect((all.json as { results: unknown[] }).results).toHaveLength(503);
    expect(http.sent.slice(2).map((r) => r.options.query)).toEqual([
      { limit: 500, after: undefined },
      { limit: 3, after: 499 }, // the job has 503 devices
    ]);
    expect(all.human).toMatch(/1\s+lamp-1\s+done\s+timeout\s+DEVICE_TIMEOUT: no answer/);
    expect(all.human).toMatch(/0\s+lamp-0\s+done\s+ok\s+\{"status":"running"\}/);

    const few = await showJob(fakeContext(http), { kind: 'job.show', id: ID, results: true, limit: 2 });
    expect((few.json as { results: unknown[] }).results).toHaveLength(2);
  });

  it('shows a job whose devices are not resolved yet, or never were', async () => {
    const answer = (body: Record<string, unknown>) => new FakeTransport(() => ({ status: 200, body }));
    const queued = await showJob(fakeContext(answer(job('queued', {}, null))), {
      kind: 'job.show',
      id: ID,
      results: false,
    });
    expect(queued.human).toContain('devices:   not resolved yet');
    const refused = { ...job('aborted', {}, null), error: { code: 'INVALID_JOB', message: 'too many' } };
    const ended = await showJob(fakeContext(answer(refused)), { kind: 'job.show', id: ID, results: false });
    expect(ended.human).toContain('devices:   none (it ended before they were resolved: too many)');
  });

  it('cancel says what happens, or that the job had ended', async () => {
    const answer = (body: Record<string, unknown>) => new FakeTransport(() => ({ status: 200, body }));
    const cancelled = await cancelJob(fakeContext(answer(job('cancelled', { ok: 1 }))), { kind: 'job.cancel', id: ID });
    expect(cancelled.human).toBe(`job ${ID} cancelled: no new dispatches; commands in flight finish (1/4 done so far)`);
    const early = await cancelJob(fakeContext(answer(job('cancelled', {}, null))), { kind: 'job.cancel', id: ID });
    expect(early.human).toBe(`job ${ID} cancelled: no new dispatches; commands in flight finish (0/? done so far)`);
    const ended = await cancelJob(fakeContext(answer(job('completed', { ok: 4 }))), { kind: 'job.cancel', id: ID });
    expect(ended.human).toBe(`job ${ID} had already ended: completed (ok 4)`);
  });
});

describe('formatting', () => {
  const view = (state: string, counts: Record<string, number>): JobView => ({
    id: ID,
    state,
    api: 'get_status',
    params: {},
    total: 10,
    counts,
  });

  it('lists outcomes in the gateway order, unknown ones last, zeros left out', () => {
    expect(formatCounts({ unknown: 1, ok: 5, weird: 2, timeout: 0 })).toBe('ok 5, unknown 1, weird 2');
  });

  it('fills the bar in proportion and never past full', () => {
    expect(progressBar(view('running', { ok: 5 }), 1500, 10)).toBe('[#####-----]  50%  5/10  ok 5  1.5 s');
    expect(progressBar(view('running', { ok: 12 }), 0, 10)).toMatch(/^\[##########\] 100%/);
  });

  it('exit code 0 only for a completed job with every device ok', () => {
    expect(jobExitCode(view('completed', { ok: 10 }))).toBe(ExitCode.ok);
    expect(jobExitCode(view('completed', { ok: 9, offline: 1 }))).toBe(ExitCode.device);
    expect(jobExitCode(view('cancelled', { ok: 10 }))).toBe(ExitCode.device);
  });
});
