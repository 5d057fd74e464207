/** Steady load on the stack, every call recorded: what users see during the faults. */
import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { HttpResponse, HttpsClient, NetworkError, errorCodeOf, parseServerTiming, sleep } from '../../bench/http';

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
  /** The device a device call went to. */
  device?: string;
  /** A failed call's error message (the platform's `message`, or the network error's), for a closer look. */
  message?: string;
  /** Refused by its own gateway (down), it was sent to the other one, as a load balancer does. */
  failedOver?: boolean;
  /** A slow call's device round trip (Server-Timing), to tell the device hop from the rest. */
  deviceMs?: number;
}

/** A moment of the run (a fault injected, a process started), written next to the calls. */
export interface Mark {
  at: number;
  what: string;
}

/** What a failed call said about itself: the body's `message`, or the network error's. */
function messageOf(outcome: HttpResponse | Error): string {
  if (outcome instanceof Error) return outcome.message.slice(0, 200);
  const body = outcome.json as { message?: unknown } | undefined;
  return (typeof body?.message === 'string' ? body.message : outcome.text).slice(0, 200);
}

/** The timeout every device call asks for (`?timeout=`); no call may outlive it by more than 1 s. */
export const DEVICE_TIMEOUT_MS = 2000;

export class Recorder {
  readonly calls: Call[] = [];
  readonly marks: Mark[] = [];

  mark(what: string): number {
    const at = Date.now();
    this.marks.push({ at, what });
    return at;
  }

  async time(
    kind: Call['kind'],
    gateway: number,
    call: () => Promise<HttpResponse>,
    ok: (res: HttpResponse) => boolean,
    check?: (res: HttpResponse) => boolean,
    device?: string,
  ): Promise<HttpResponse | undefined> {
    return this.timeVia(kind, gateway, async () => ({ res: await call(), gateway }), ok, check, device);
  }

  /** `time`, for a call that says which gateway served it (a balanced call may fail over). */
  async timeVia(
    kind: Call['kind'],
    home: number,
    call: () => Promise<{ res: HttpResponse; gateway: number; failedOver?: boolean }>,
    ok: (res: HttpResponse) => boolean,
    check?: (res: HttpResponse) => boolean,
    device?: string,
  ): Promise<HttpResponse | undefined> {
    const start = Date.now();
    try {
      const { res, gateway, failedOver } = await call();
      const success = ok(res);
      const end = Date.now();
      const deviceMs = end - start > 1000 ? parseServerTiming(res.headers['server-timing']).device : undefined;
      this.calls.push({
        kind,
        gateway,
        start,
        end,
        status: res.status,
        code: success ? 'OK' : errorCodeOf(res),
        mismatch: success && check ? !check(res) : undefined,
        device,
        ...(success ? {} : { message: messageOf(res) }),
        ...(failedOver ? { failedOver } : {}),
        ...(deviceMs === undefined ? {} : { deviceMs: Math.round(deviceMs) }),
      });
      return res;
    } catch (error) {
      this.calls.push({
        kind,
        gateway: (error as { gateway?: number }).gateway ?? home,
        start,
        end: Date.now(),
        status: 0,
        code: errorCodeOf(error as Error),
        device,
        message: messageOf(error as Error),
      });
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

/** The device load's users start within this long of each other. */
const RAMP_MS = 2000;

/**
 * The users' load balancer over the gateway replicas: a call goes to its user's own gateway and,
 * when that one refuses the connection (it is down: the request never reached it), to the next one
 * at once, as a balancer does on a connect failure (HAProxy `retry-on conn-failure`, nginx
 * `proxy_next_upstream error`). A request already sent is never sent again (a balancer does not
 * resend a non-idempotent request): one a gateway was killed with fails, and says which gateway.
 */
export async function balanced(
  clients: HttpsClient[],
  home: number,
  send: (client: HttpsClient) => Promise<HttpResponse>,
): Promise<{ res: HttpResponse; gateway: number; failedOver: boolean }> {
  for (let k = 0; ; k++) {
    const gateway = (home + k) % clients.length;
    try {
      return { res: await send(clients[gateway]), gateway, failedOver: k > 0 };
    } catch (error) {
      const refused = error instanceof NetworkError && error.code === 'ECONNREFUSED';
      if (!refused || k === clients.length - 1) throw Object.assign(error as Error, { gateway });
    }
  }
}

/**
 * `clients` closed-loop users, user i driving device i through gateway i % 2 (behind `balanced`):
 * set a random GPIO to a random value and check the reply echoes that pin and
 * value (a late reply taken for a later request would not), then think 200 ms.
 */
export function runDeviceLoad(target: LoadTarget, recorder: Recorder, signal: AbortSignal): Promise<void>[] {
  return target.deviceNames.map(async (name, i) => {
    const home = i % target.clients.length;
    // Users arrive over RAMP_MS, not all in one millisecond (their first calls open TLS connections).
    await sleep((RAMP_MS * i) / target.deviceNames.length, signal);
    while (!signal.aborted) {
      const number = randomInt(0, 32);
      const value = randomInt(0, 2);
      await recorder.timeVia(
        'device',
        home,
        () =>
          balanced(target.clients, home, (client) =>
            client.request('PUT', `/devices/${name}/gpio/${number}?timeout=${DEVICE_TIMEOUT_MS}`, {
              token: target.token,
              body: { value },
              timeoutMs: DEVICE_TIMEOUT_MS + 8000,
            }),
          ),
        (res) => res.status === 200,
        (res) => {
          const body = res.json as { number?: unknown; value?: unknown } | undefined;
          return body?.number === number && body?.value === value;
        },
        name,
      );
      await sleep(200, signal);
    }
  });
}

/**
 * One unrecorded call per user, through its own gateway, before the recorded load: a freshly started
 * stack's first calls (TLS handshakes, device lookups into the cache, code not yet optimised) are a
 * cold start, not a fault, and took over 3 s on a loaded machine.
 */
export async function warmUp(target: LoadTarget): Promise<void> {
  await Promise.all(
    target.deviceNames.map((name, i) =>
      target.clients[i % target.clients.length]
        .request('PUT', `/devices/${name}/gpio/0?timeout=${DEVICE_TIMEOUT_MS}`, {
          token: target.token,
          body: { value: 0 },
          timeoutMs: DEVICE_TIMEOUT_MS + 8000,
        })
        .catch(() => undefined),
    ),
  );
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
  prefix = 'trickle',
): Promise<void> {
  for (let n = 1; !signal.aborted; n++) {
    const name = `${prefix}-${n}`;
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

/** Every load loop at once (devices, trickle, lister), until `stop()`. */
export class Load {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[];

  constructor(target: LoadTarget, recorder: Recorder, trickle: Trickle, trickleName: string) {
    setMaxListeners(target.deviceNames.length + 10, this.abort.signal); // every loop sleeps on it
    const [first] = target.clients;
    this.loops = [
      ...runDeviceLoad(target, recorder, this.abort.signal),
      runTrickle(first, target.token, recorder, trickle, this.abort.signal, trickleName),
      runLister(first, target.token, recorder, this.abort.signal),
    ];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops).catch(() => undefined);
  }
}
