import { performance } from 'node:perf_hooks';
import { HttpResponse, HttpsClient, errorCodeOf, parseServerTiming } from '../http';
import type { Session } from '../session';

export interface CallOutcome {
  ok: boolean;
  /** Client-side total (request sent → response read). */
  ms: number;
  /** device-command's device round trip (Server-Timing `device`), NaN when absent. */
  deviceMs: number;
  /** Error code when not ok. */
  code?: string;
  response?: HttpResponse;
  /** performance.now() when the response was complete. */
  endedAt: number;
}

/** One authenticated GET; never throws (a network error is an outcome with a NETWORK_* code). */
export async function timedGet(
  session: Session,
  client: HttpsClient,
  pathname: string,
  timeoutMs = 30_000,
): Promise<CallOutcome> {
  const started = performance.now();
  try {
    const response = await session.get(pathname, client, timeoutMs);
    const ok = response.status === 200;
    const deviceMs = parseServerTiming(response.headers['server-timing']).device ?? Number.NaN;
    return {
      ok,
      ms: response.ms,
      deviceMs,
      code: ok ? undefined : errorCodeOf(response),
      response,
      endedAt: performance.now(),
    };
  } catch (error) {
    const ended = performance.now();
    return {
      ok: false,
      ms: ended - started,
      deviceMs: Number.NaN,
      code: errorCodeOf(error instanceof Error ? error : new Error(String(error))),
      endedAt: ended,
    };
  }
}

export function gpioPath(name: string, pin = 3): string {
  return `/devices/${encodeURIComponent(name)}/gpio/${pin}`;
}

/** Per-call samples: client total, device hop (Server-Timing) and the rest (total − device hop). */
export class HopSamples {
  readonly total: number[] = [];
  readonly device: number[] = [];
  readonly rest: number[] = [];

  add(outcome: CallOutcome): void {
    this.total.push(outcome.ms);
    if (Number.isFinite(outcome.deviceMs)) {
      this.device.push(outcome.deviceMs);
      this.rest.push(outcome.ms - outcome.deviceMs);
    }
  }
}
