/**
 * `demo NAME`: the classic walk-through of every device operation, with the
 * round-trip time of each call measured here (performance.now()). The HTTP
 * connection is kept alive, so only the first call pays for the TLS handshake.
 */
import { performance } from 'node:perf_hooks';
import { CommandOf } from '../args';
import {
  ApiError,
  ApiErrorBody,
  ExitCode,
  ExitCodeValue,
  GatewayUnreachableError,
  NotLoggedInError,
  errorBody,
  exitCodeFor,
} from '../errors';
import { CommandResult, field, formatMs } from '../output';
import { CommandContext, accessToken } from './context';
import { getGpio, getMac, getNetwork, getRtc, getStatus, restart, setGpio, setRtc, writeUart } from './device-ops';

export interface DemoCall {
  step: string;
  ok: boolean;
  ms: number;
  body?: unknown;
  error?: ApiErrorBody;
  note?: string;
}

export interface DemoReport {
  device: string;
  url: string;
  calls: DemoCall[];
  summary: { calls: number; failures: number; p50Ms: number; maxMs: number };
}

interface Step {
  label: string;
  run: () => Promise<CommandResult>;
  /** A problem with a successful answer (e.g. the pin did not change), or undefined. */
  check?: (result: CommandResult) => string | undefined;
}

/** Nearest-rank percentile (p in 0..100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Errors after which the other steps cannot succeed either. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof NotLoggedInError ||
    error instanceof GatewayUnreachableError ||
    (error instanceof ApiError && (error.statusCode === 401 || error.code === 'DEVICE_NOT_FOUND'))
  );
}

function gpioValue(result: CommandResult): 0 | 1 | undefined {
  const value = field(result.json, 'value');
  return value === '0' ? 0 : value === '1' ? 1 : undefined;
}

export const DEMO_UART_TEXT = 'Hello from the iotcloud demo';

export async function demo(ctx: CommandContext, args: CommandOf<'demo'>): Promise<CommandResult> {
  const { name, pin } = args;
  accessToken(ctx); // not logged in: fail before printing anything
  let before: 0 | 1 | undefined;
  let target: 0 | 1 = 1;

  const steps: Step[] = [
    { label: 'status', run: () => getStatus(ctx, name) },
    { label: 'uart write', run: () => writeUart(ctx, name, DEMO_UART_TEXT) },
    {
      label: `gpio get ${pin}`,
      run: () => getGpio(ctx, name, pin),
      check: (result) => {
        before = gpioValue(result);
        target = before === 1 ? 0 : 1;
        return before === undefined ? 'the reply has no value 0 or 1' : undefined;
      },
    },
    {
      label: `gpio set ${pin}`,
      run: () => setGpio(ctx, name, pin, target),
      check: (result) => (gpioValue(result) === target ? undefined : `the device did not report ${target}`),
    },
    {
      label: `gpio get ${pin}`,
      run: () => getGpio(ctx, name, pin),
      check: (result) => (gpioValue(result) === target ? undefined : `pin ${pin} did not change to ${target}`),
    },
    { label: 'rtc get', run: () => getRtc(ctx, name) },
    { label: 'rtc set (now)', run: () => setRtc(ctx, name) },
    { label: 'mac get', run: () => getMac(ctx, name) },
    { label: 'ip', run: () => getNetwork(ctx, name, 'ip') },
    { label: 'subnet', run: () => getNetwork(ctx, name, 'subnet') },
    { label: 'gateway', run: () => getNetwork(ctx, name, 'gateway') },
    { label: 'restart', run: () => restart(ctx, name) },
  ];

  ctx.progress(
    `Demo of device "${name}" via ${ctx.url} (round trips measured here; the first includes the TLS handshake)`,
  );
  const calls: DemoCall[] = [];
  let exitCode: ExitCodeValue = ExitCode.ok;
  const labelWidth = Math.max(...steps.map((s) => s.label.length));
  for (const [index, step] of steps.entries()) {
    const started = performance.now();
    let call: DemoCall;
    let outcome: string;
    try {
      const result = await step.run();
      const ms = performance.now() - started;
      const problem = step.check?.(result);
      call = {
        step: step.label,
        ok: problem === undefined,
        ms,
        body: result.json,
        ...(problem ? { note: problem } : {}),
      };
      const text = result.human.startsWith(`${name}: `) ? result.human.slice(name.length + 2) : result.human;
      if (step.label.startsWith('gpio get') && index === 4 && before !== undefined && problem === undefined) {
        outcome = `${text} (changed from ${before})`;
      } else {
        outcome = problem ? `FAILED: ${text}: ${problem}` : text;
      }
      if (problem && exitCode === ExitCode.ok) exitCode = ExitCode.device;
    } catch (error) {
      const ms = performance.now() - started;
      if (isFatal(error)) throw error;
      const body = errorBody(error);
      call = { step: step.label, ok: false, ms, error: body };
      outcome = `FAILED: ${body.message} (${body.code})`;
      if (exitCode === ExitCode.ok) exitCode = exitCodeFor(error);
    }
    calls.push(call);
    ctx.progress(
      `${String(index + 1).padStart(3)}. ${step.label.padEnd(labelWidth)}  ${formatMs(call.ms).padStart(9)}  ${outcome}`,
    );
  }

  const times = calls.map((c) => c.ms);
  const summary = {
    calls: calls.length,
    failures: calls.filter((c) => !c.ok).length,
    p50Ms: round(percentile(times, 50)),
    maxMs: round(Math.max(...times)),
  };
  const report: DemoReport = {
    device: name,
    url: ctx.url,
    calls: calls.map((c) => ({ ...c, ms: round(c.ms) })),
    summary,
  };
  const human =
    `Summary: ${summary.calls} calls, ${summary.failures} failed; round trip p50 ${formatMs(summary.p50Ms)}, ` +
    `max ${formatMs(summary.maxMs)} (first call, with TLS handshake: ${formatMs(times[0])})`;
  return { json: report, human, exitCode };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
