/** Steady load on the stack, every call recorded: what users see during the faults. */
import { randomInt } from 'node:crypto';
import { HttpResponse, HttpsClient, errorCodeOf, sleep } from '../../bench/http';

export interface Call {
  kind: 'device' | 'register' | 'unregister' | 'list' | 'hostile';
  gateway: number;
  start: number;
  end: number;
  status: number;
  /** 'OK' for a success, else the platform's code (or NETWORK_*). */
  code: string;
  /** A device reply that does not answer the request it came back for. */
  mismatch?: boolean;
}

/** The timeout every device call asks for (`?timeout=`); no call may outlive it by more than 1 s. */
export const DEVICE_TIMEOUT_MS = 2000;

export class Recorder {
  readonly calls: Call[] = [];

  async time(
    kind: Call['kind'],
    gateway: number,
    call: () => Promise<HttpResponse>,
    ok: (res: HttpResponse) => boolean,
    check?: (res: HttpResponse) => boolean,
  ): Promise<HttpResponse | undefined> {
    const start = Date.now();
    try {
      const res = await call();
      const success = ok(res);
      this.calls.push({
        kind,
        gateway,
        start,
        end: Date.now(),
        status: res.status,
        code: success ? 'OK' : errorCodeOf(res),
        mismatch: success && check ? !check(res) : undefined,
      });
      return res;
    } catch (error) {
      this.calls.push({ kind, gateway, start, end: Date.now(), status: 0, code: errorCodeOf(error as Error) });
      return undefined;
    }
  }

  between(from: number, to: number, filter: (c: Call) => boolean = () => true): Call[] {
    return this.calls.filter((c) => c.start >= from && c.start < to && filter(c));
  }
}

export interface LoadTarget {
  clients: HttpsClient[]; // one per gateway replica
  token: string;
  deviceNames: string[];
}

/**
 * `clients` closed-loop users, user i driving device i through gateway i % 2:
 * set a random GPIO to a random value and check the reply echoes that pin and
 * value (a late reply taken for a later request would not), then think 200 ms.
 */
export function runDeviceLoad(target: LoadTarget, recorder: Recorder, signal: AbortSignal): Promise<void>[] {
  return target.deviceNames.map(async (name, i) => {
    const gateway = i % target.clients.length;
    const client = target.clients[gateway];
    while (!signal.aborted) {
      const number = randomInt(0, 32);
      const value = randomInt(0, 2);
      await recorder.time(
        'device',
        gateway,
        () =>
          client.request('PUT', `/devices/${name}/gpio/${number}?timeout=${DEVICE_TIMEOUT_MS}`, {
            token: target.token,
            body: { value },
            timeoutMs: DEVICE_TIMEOUT_MS + 8000,
          }),
        (res) => res.status === 200,
        (res) => {
          const body = res.json as { number?: unknown; value?: unknown } | undefined;
          return body?.number === number && body?.value === value;
        },
      );
      await sleep(200, signal);
    }
  });
}

/** Registered (201) and unregistered (204) device names: checked against the registry at the end. */
export interface Trickle {
  registered: Map<string, string>; // name -> certificate
  unregistered: Set<string>;
}

/** A registration every second through gateway 0; every fifth one is unregistered again at once. */
export async function runTrickle(
  client: HttpsClient,
  token: string,
  recorder: Recorder,
  trickle: Trickle,
  signal: AbortSignal,
): Promise<void> {
  for (let n = 1; !signal.aborted; n++) {
    const name = `trickle-${n}`;
    const res = await recorder.time(
      'register',
      0,
      () => client.request('POST', '/devices', { token, body: { name, keyType: 'ec' }, timeoutMs: 10_000 }),
      (r) => r.status === 201,
    );
    if (res?.status === 201) {
      trickle.registered.set(name, (res.json as { certificate: string }).certificate);
      if (n % 5 === 0) {
        const del = await recorder.time(
          'unregister',
          0,
          () => client.request('DELETE', `/devices/${name}`, { token, timeoutMs: 10_000 }),
          (r) => r.status === 204,
        );
        if (del?.status === 204) trickle.unregistered.add(name);
      }
    }
    await sleep(1000, signal);
  }
}

/** A user listing devices every half second (a read that needs the database). */
export async function runLister(
  client: HttpsClient,
  token: string,
  recorder: Recorder,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    await recorder.time(
      'list',
      0,
      () => client.request('GET', '/devices', { token, timeoutMs: 10_000 }),
      (r) => r.status === 200,
    );
    await sleep(500, signal);
  }
}
