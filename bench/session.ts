/**
 * The bench user and its devices: one sign-up, one login (the login throttle
 * only counts failures, but one login is all the bench needs), registrations
 * written to files the simulator process reads, and the clean-up at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { HttpResponse, HttpsClient, errorCodeOf, forEachBounded } from './http';
import { ProgressCounter, progress } from './progress';

/** The parts of a `POST /devices` response the bench relies on. */
export interface Registration {
  deviceId: string;
  name: string;
  certificate: string;
  privateKey?: string;
  caCertificate: string;
  mqtt: { host: string; port: number };
}

export function isRegistration(value: unknown): value is Registration {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  const mqtt = body.mqtt as Record<string, unknown> | undefined;
  return (
    typeof body.deviceId === 'string' &&
    typeof body.name === 'string' &&
    typeof body.certificate === 'string' &&
    typeof body.caCertificate === 'string' &&
    typeof mqtt === 'object' &&
    mqtt !== null &&
    typeof mqtt.host === 'string' &&
    typeof mqtt.port === 'number'
  );
}

export type RegisterBody = { name: string; keyType: 'rsa' | 'ec' } | { name: string; csr: string };

/** A registration that did not give 201. */
export class RegistrationError extends Error {
  constructor(
    readonly deviceName: string,
    readonly code: string,
    detail: string,
  ) {
    super(`registering ${deviceName}: ${code} ${detail}`);
    this.name = 'RegistrationError';
  }
}

export class Session {
  private constructor(
    readonly client: HttpsClient,
    readonly username: string,
    readonly token: string,
  ) {}

  /** Signs up a fresh random user and logs it in once. */
  static async open(client: HttpsClient): Promise<Session> {
    const username = `bench-${randomBytes(6).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    const signup = await client.request('POST', '/auth/signup', { body: { username, password } });
    if (signup.status !== 201)
      throw new Error(`bench user sign-up failed: ${signup.status} ${signup.text.slice(0, 300)}`);
    const login = await client.request('POST', '/auth/login', { body: { username, password } });
    const token = (login.json as { accessToken?: unknown } | undefined)?.accessToken;
    if (login.status !== 200 || typeof token !== 'string') {
      throw new Error(`bench user login failed: ${login.status} ${login.text.slice(0, 300)}`);
    }
    return new Session(client, username, token);
  }

  get(pathname: string, client: HttpsClient = this.client, timeoutMs?: number): Promise<HttpResponse> {
    return client.request('GET', pathname, { token: this.token, timeoutMs });
  }

  /** `POST /devices`; resolves with the response (any status) so callers can time and classify it. */
  postDevice(body: RegisterBody, client: HttpsClient = this.client): Promise<HttpResponse> {
    return client.request('POST', '/devices', { token: this.token, body, timeoutMs: 60_000 });
  }

  /** Registers one device and returns the registration; throws RegistrationError otherwise. */
  async register(body: RegisterBody, client: HttpsClient = this.client): Promise<Registration> {
    const res = await this.postDevice(body, client);
    if (res.status !== 201 || !isRegistration(res.json)) {
      throw new RegistrationError(body.name, errorCodeOf(res), `(HTTP ${res.status}) ${res.text.slice(0, 200)}`);
    }
    return res.json;
  }

  unregister(name: string): Promise<HttpResponse> {
    return this.client.request('DELETE', `/devices/${encodeURIComponent(name)}`, { token: this.token });
  }
}

/** Name of the i-th (0-based) pool device, and its file: sorted by name = registration order. */
export function poolDeviceName(index: number): string {
  return `pool-${String(index + 1).padStart(6, '0')}`;
}

/**
 * Devices shared by the latency, throughput and scale scenarios: registered
 * once (EC keys, ~1 ms each on the server), saved as `<dir>/pool-000001.json`
 * ... for the simulator process, which runs the first N files of the folder.
 */
export class DevicePool {
  private readonly registrations: Registration[] = [];
  /** Every device this run registered (pool and registration scenario), for the clean-up. */
  readonly registeredNames = new Set<string>();

  constructor(
    readonly session: Session,
    readonly dir: string,
    private readonly concurrency: number,
  ) {}

  get size(): number {
    return this.registrations.length;
  }

  names(count: number): string[] {
    return this.registrations.slice(0, count).map((r) => r.name);
  }

  deviceIds(count: number): string[] {
    return this.registrations.slice(0, count).map((r) => r.deviceId);
  }

  /** Registers pool devices until there are `count`, with bounded concurrency and progress lines. */
  async ensure(count: number, signal?: AbortSignal): Promise<void> {
    if (this.registrations.length >= count) return;
    await mkdir(this.dir, { recursive: true });
    const first = this.registrations.length;
    const indexes = Array.from({ length: count - first }, (_, i) => first + i);
    const slots = new Array<Registration | undefined>(indexes.length);
    const counter = new ProgressCounter('registering pool devices (EC)', indexes.length);
    let failure: Error | undefined;
    await forEachBounded(
      indexes,
      this.concurrency,
      async (index, i) => {
        if (failure) return;
        const name = poolDeviceName(index);
        try {
          const registration = await this.session.register({ name, keyType: 'ec' });
          this.registeredNames.add(name);
          await writeFile(path.join(this.dir, `${name}.json`), JSON.stringify(registration), { mode: 0o600 });
          slots[i] = registration;
          counter.tick();
        } catch (error) {
          failure ??= error instanceof Error ? error : new Error(String(error));
          counter.tick(false);
        }
      },
      signal,
    );
    if (failure) throw failure;
    if (signal?.aborted) throw new Error('interrupted');
    for (const registration of slots) if (registration) this.registrations.push(registration);
    const port = this.registrations[0]?.mqtt.port;
    const expected = Number(process.env.MQTT_PORT ?? '8883');
    if (port !== undefined && port !== expected) {
      progress(
        `note: the gateway hands out MQTT port ${port}, this shell's MQTT_PORT is ${expected}; devices use ${port}`,
      );
    }
  }

  /** Unregisters (revokes) every device this run registered; returns how many failed. */
  async unregisterAll(concurrency = 8): Promise<number> {
    const names = [...this.registeredNames];
    if (names.length === 0) return 0;
    const counter = new ProgressCounter('unregistering bench devices', names.length);
    let failed = 0;
    await forEachBounded(names, concurrency, async (name) => {
      let ok: boolean;
      try {
        const res = await this.session.unregister(name);
        ok = res.status >= 200 && res.status < 300;
      } catch {
        ok = false;
      }
      if (ok) this.registeredNames.delete(name);
      else failed += 1;
      counter.tick(ok);
    });
    return failed;
  }
}
