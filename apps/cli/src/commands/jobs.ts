/**
 * job run | show | cancel: one device operation on many devices (POST /jobs), followed
 * to its end with a progress bar on a terminal and plain lines otherwise.
 */
import { MAX_JOB_DEVICES } from '@app/common';
import { parseDeviceRequest } from '@app/device-protocol';
import { CommandOf, JobTarget } from '../args';
import { ApiError, CliError, ExitCode, GatewayUnreachableError, UsageError } from '../errors';
import { CLI_NAME } from '../help';
import { CommandResult, field, formatTable } from '../output';
import { CommandContext, accessToken } from './context';
import { operationCall } from './device-ops';

/** How often a followed job is read again (the gateway saves a running job's counts about once a second). */
export const POLL_MS = 1000;
/** Without a terminal, a progress line at most this often (and at the end). */
export const LINE_EVERY_MS = 5000;
/** A followed job's gateway may be unreachable (or answer 5xx) this long before `job run` gives up following. */
export const FOLLOW_OUTAGE_MS = 30_000;
/** Results per `GET /jobs/{id}/results` page (the gateway's maximum). */
export const RESULTS_PAGE = 500;

export const FINAL_JOB_STATES: readonly string[] = ['completed', 'cancelled', 'aborted'];
/** The gateway's outcomes, in the order they are shown; others follow in the order they come. */
const OUTCOME_ORDER = ['ok', 'timeout', 'offline', 'busy', 'not_found', 'error', 'unknown'];

/** The parts of a job (`GET /jobs/{id}`) the CLI shows. */
export interface JobView {
  id: string;
  state: string;
  api: string;
  params: Record<string, unknown>;
  /** null until the gateway has resolved the job's devices (`POST /jobs` answers before). */
  total: number | null;
  counts: Record<string, number>;
  createdAt?: string;
  finishedAt?: string;
  /** Why the job ended without running (e.g. its selector matched too many devices). */
  error?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A job body from the gateway, checked; anything else is an internal error (exit 1). */
export function readJob(body: unknown): JobView {
  if (
    !isRecord(body) ||
    typeof body.id !== 'string' ||
    typeof body.state !== 'string' ||
    (typeof body.total !== 'number' && body.total !== null) ||
    !isRecord(body.counts)
  ) {
    throw new CliError(`unexpected answer from the gateway: ${JSON.stringify(body)}`, ExitCode.internal);
  }
  const counts: Record<string, number> = {};
  for (const [outcome, n] of Object.entries(body.counts)) if (typeof n === 'number') counts[outcome] = n;
  return {
    id: body.id,
    state: body.state,
    api: typeof body.api === 'string' ? body.api : '-',
    params: isRecord(body.params) ? body.params : {},
    total: body.total,
    counts,
    createdAt: typeof body.createdAt === 'string' ? body.createdAt : undefined,
    finishedAt: typeof body.finishedAt === 'string' ? body.finishedAt : undefined,
    error: isRecord(body.error) && typeof body.error.message === 'string' ? body.error.message : undefined,
  };
}

/** Devices with an outcome so far. */
export function doneCount(job: JobView): number {
  return Object.values(job.counts).reduce((sum, n) => sum + n, 0);
}

/** `ok 5190, timeout 10` (outcomes with a count, in the gateway's order); `none yet` when empty. */
export function formatCounts(counts: Record<string, number>): string {
  const names = [
    ...OUTCOME_ORDER.filter((o) => o in counts),
    ...Object.keys(counts).filter((o) => !OUTCOME_ORDER.includes(o)),
  ];
  const parts = names.filter((o) => counts[o] > 0).map((o) => `${o} ${counts[o]}`);
  return parts.length > 0 ? parts.join(', ') : 'none yet';
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** What a job's devices are while the gateway has not resolved them. */
const UNRESOLVED = 'finding its devices';

/** `[##########--------------]  42%  4200/10000  ok 4190, timeout 10  8.0 s` (one terminal line). */
export function progressBar(job: JobView, elapsedMs: number, width = 24): string {
  if (job.total === null) return `[${'-'.repeat(width)}]    ?  ${UNRESOLVED}  ${seconds(elapsedMs)}`;
  const done = doneCount(job);
  const fraction = job.total > 0 ? Math.min(1, done / job.total) : 1;
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${done}/${job.total}  ${formatCounts(job.counts)}  ${seconds(elapsedMs)}`;
}

/** `job 5f0c…: running, 4200/10000 done (ok 4190, timeout 10), 8.0 s` (a line for logs). */
export function progressLine(job: JobView, elapsedMs: number): string {
  if (job.total === null) return `job ${job.id}: ${job.state}, ${UNRESOLVED}, ${seconds(elapsedMs)}`;
  return `job ${job.id}: ${job.state}, ${doneCount(job)}/${job.total} done (${formatCounts(job.counts)}), ${seconds(elapsedMs)}`;
}

/** 0 when the job completed and every device answered; otherwise the device-problem code. */
export function jobExitCode(job: JobView): number {
  return job.state === 'completed' && (job.counts.ok ?? 0) === job.total ? ExitCode.ok : ExitCode.device;
}

/** The job's run time from the gateway's own timestamps, when it has finished. */
function serverElapsedMs(job: JobView): number | undefined {
  if (!job.createdAt || !job.finishedAt) return undefined;
  const ms = Date.parse(job.finishedAt) - Date.parse(job.createdAt);
  return Number.isFinite(ms) ? ms : undefined;
}

function summary(job: JobView, elapsedMs: number): string {
  const took = seconds(serverElapsedMs(job) ?? elapsedMs);
  if (job.total === null) {
    return `job ${job.id} ${job.state} before its devices were resolved${job.error ? ` (${job.error})` : ''}, in ${took}`;
  }
  const lines = [
    `job ${job.id} ${job.state}: ${doneCount(job)}/${job.total} devices done (${formatCounts(job.counts)}) in ${took}`,
  ];
  if (jobExitCode(job) !== ExitCode.ok) lines.push(`each device's outcome: ${CLI_NAME} job show ${job.id} --results`);
  return lines.join('\n');
}

/** The `POST /jobs` body of a `job run` command. */
export function jobRequestBody(
  command: CommandOf<'job.run'>,
  nowMs: number,
  timeoutMs?: number,
): Record<string, unknown> {
  const { api, request } = operationCall(command.operation, nowMs);
  // The protocol library's own check, as the gateway makes it: a bad request never leaves the CLI.
  let params: Record<string, unknown>;
  try {
    params = parseDeviceRequest(api, request);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const target: JobTarget = command.target;
  return {
    ...target,
    api,
    params,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(command.concurrency === undefined ? {} : { concurrency: command.concurrency }),
    ...(command.ratePerSecond === undefined ? {} : { ratePerSecond: command.ratePerSecond }),
    ...(command.abort === undefined ? {} : { abort: command.abort }),
  };
}

async function getJob(ctx: CommandContext, id: string, token: string): Promise<JobView> {
  const res = await ctx.http.request('GET', `/jobs/${encodeURIComponent(id)}`, { token });
  return readJob(res.body);
}

/** A failure worth waiting out while following: the gateway restarting, or a dependency briefly away. */
function isTransient(error: unknown): boolean {
  return error instanceof GatewayUnreachableError || (error instanceof ApiError && error.statusCode >= 500);
}

/** Reads the job until it is in a final state, drawing its progress; returns the final job. */
async function follow(ctx: CommandContext, started: JobView, token: string): Promise<JobView> {
  const began = ctx.now();
  let job = started;
  let lastLine = Number.NEGATIVE_INFINITY;
  let lastDone = -1;
  let failingSince: number | undefined;
  const draw = (final: boolean) => {
    const elapsed = ctx.now() - began;
    if (ctx.tty) {
      ctx.redraw(progressBar(job, elapsed));
      if (final) ctx.progress('');
      return;
    }
    const done = doneCount(job);
    if (final || (done !== lastDone && ctx.now() - lastLine >= LINE_EVERY_MS)) {
      ctx.progress(progressLine(job, elapsed));
      lastLine = ctx.now();
      lastDone = done;
    }
  };
  draw(false);
  while (!FINAL_JOB_STATES.includes(job.state)) {
    await ctx.sleep(POLL_MS);
    try {
      job = await getJob(ctx, job.id, token);
      failingSince = undefined;
    } catch (error) {
      if (!isTransient(error)) throw error;
      failingSince ??= ctx.now();
      if (ctx.now() - failingSince >= FOLLOW_OUTAGE_MS) throw error;
      continue;
    }
    draw(FINAL_JOB_STATES.includes(job.state));
  }
  return job;
}

/**
 * The devices a job targets, as the user gave them: the gateway answers before it has resolved a
 * selector, so the count is only known for named devices.
 */
export function describeTarget(target: JobTarget): string {
  if ('devices' in target) return `${new Set(target.devices).size} device(s)`;
  const { tag, online } = target.selector;
  const which = tag === undefined ? 'all your devices' : `your devices tagged ${tag}`;
  return online ? `${which} online now` : which;
}

export async function runJob(ctx: CommandContext, command: CommandOf<'job.run'>): Promise<CommandResult> {
  const token = accessToken(ctx);
  const body = jobRequestBody(command, ctx.now(), ctx.options.timeoutMs);
  const res = await ctx.http.request('POST', '/jobs', { token, body });
  const started = readJob(res.body);
  if (!command.wait) return { json: res.body, human: started.id };

  ctx.progress(
    `job ${started.id}: ${started.api} ${JSON.stringify(started.params)} on ${describeTarget(command.target)}` +
      ` (Ctrl-C stops following, not the job: ${CLI_NAME} job cancel ${started.id})`,
  );
  const began = ctx.now();
  const job = await follow(ctx, started, token);
  const last = await ctx.http.request('GET', `/jobs/${encodeURIComponent(job.id)}`, { token }).then(
    (r) => r.body,
    () => job, // the final state was read already; its full body is a nicety
  );
  return { json: last, human: summary(job, ctx.now() - began), exitCode: jobExitCode(job) };
}

/** One device's outcome (`GET /jobs/{id}/results`). */
interface ResultView {
  index: unknown;
  device: unknown;
  state: unknown;
  outcome?: unknown;
  reply?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** Every result of a job, page by page, up to `limit`. */
async function readResults(ctx: CommandContext, id: string, token: string, limit: number): Promise<unknown[]> {
  const results: unknown[] = [];
  let after: number | undefined;
  while (results.length < limit) {
    const size = Math.min(RESULTS_PAGE, limit - results.length);
    const res = await ctx.http.request('GET', `/jobs/${encodeURIComponent(id)}/results`, {
      token,
      query: { limit: size, after },
    });
    const page = Array.isArray(res.body) ? (res.body as unknown[]) : [];
    results.push(...page);
    const lastIndex = (page[page.length - 1] as ResultView | undefined)?.index;
    if (page.length < size || typeof lastIndex !== 'number') break;
    after = lastIndex;
  }
  return results;
}

function formatResults(results: unknown[]): string {
  if (results.length === 0) return 'no results';
  const rows = results.map((r) => {
    const result = r as ResultView;
    const detail = result.error
      ? `${field(result.error, 'code')}: ${field(result.error, 'message')}`
      : result.reply !== undefined
        ? JSON.stringify(result.reply)
        : '';
    return [field(r, 'index'), field(r, 'device'), field(r, 'state'), field(r, 'outcome'), detail];
  });
  return formatTable(['#', 'DEVICE', 'STATE', 'OUTCOME', 'REPLY / ERROR'], rows);
}

export function formatJob(job: JobView): string {
  const rows: [string, string][] = [
    ['job', job.id],
    ['state', job.state],
    ['operation', `${job.api} ${JSON.stringify(job.params)}`],
    [
      'devices',
      job.total !== null
        ? `${job.total} (${doneCount(job)} done)`
        : FINAL_JOB_STATES.includes(job.state)
          ? `none (it ended before they were resolved${job.error ? `: ${job.error}` : ''})`
          : 'not resolved yet',
    ],
    ['outcomes', formatCounts(job.counts)],
    ['created', job.createdAt ?? '-'],
    ['finished', job.finishedAt ?? '-'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${value}`).join('\n');
}

export async function showJob(ctx: CommandContext, command: CommandOf<'job.show'>): Promise<CommandResult> {
  const token = accessToken(ctx);
  const res = await ctx.http.request('GET', `/jobs/${encodeURIComponent(command.id)}`, { token });
  const job = readJob(res.body);
  if (!command.results) return { json: res.body, human: formatJob(job) };
  const results = await readResults(ctx, command.id, token, command.limit ?? job.total ?? MAX_JOB_DEVICES);
  return {
    json: { ...(res.body as Record<string, unknown>), results },
    human: `${formatJob(job)}\n\n${formatResults(results)}`,
  };
}

export async function cancelJob(ctx: CommandContext, command: CommandOf<'job.cancel'>): Promise<CommandResult> {
  const token = accessToken(ctx);
  const res = await ctx.http.request('POST', `/jobs/${encodeURIComponent(command.id)}/cancel`, { token });
  const job = readJob(res.body);
  const human =
    job.state === 'cancelled'
      ? `job ${job.id} cancelled: no new dispatches; commands in flight finish (${doneCount(job)}/${job.total ?? '?'} done so far)`
      : `job ${job.id} had already ended: ${job.state} (${formatCounts(job.counts)})`;
  return { json: res.body, human };
}
