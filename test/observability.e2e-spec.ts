import { INestApplication } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PlatformLogger } from '@app/common/nest';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { ROOT } from './support/infrastructure';
import { Registration, connectDevice, registerDevice } from './support/simulated-devices';

try {
  process.loadEnvFile(path.join(ROOT, '.env')); // the ports of this checkout; the environment wins
} catch {
  // no .env: defaults
}
const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
const GATEWAY_METRICS = `http://127.0.0.1:${port('METRICS_PORT', 9464)}/metrics`;
const DEVICE_COMMAND_HTTP = `http://127.0.0.1:${port('DEVICE_COMMAND_HTTP_PORT', 9465)}`;
const PROMETHEUS = `http://127.0.0.1:${port('PROMETHEUS_PORT', 9090)}`;

/** One sample of a Prometheus text exposition, by name and (a subset of) labels; undefined when absent. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function text(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

interface PromResult {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function promQuery(expr: string): Promise<PromResult> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as PromResult;
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('observability (e2e: metrics of both apps and the broker, request ids in logs, health, a real Prometheus)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let token: string;
  let username: string;
  let online: Registration;
  let offline: Registration;
  let sim: ConnectedDevice;
  // Nest's logger is process-wide, and both apps run in this process: one capture for both,
  // told apart by context (device-command's lines come from InvokeDevice).
  const logLines: string[] = [];
  const call = (pathname: string, headers: Record<string, string> = {}) =>
    request<Record<string, unknown>>(gateway.baseUrl, 'GET', pathname, { token, headers });

  beforeAll(async () => {
    deviceCommand = await startDeviceCommand({
      logger: new PlatformLogger('json', ['error', 'warn', 'log', 'debug'], (_s, line) => logLines.push(line)),
    });
    gateway = await startGateway({
      logger: new PlatformLogger('json', ['error', 'warn', 'log', 'debug'], (_s, line) => logLines.push(line)),
    });
    username = uniqueName('observer');
    token = await signUpAndLogIn(gateway.baseUrl, username);
    online = await registerDevice(gateway.baseUrl, token, uniqueName('lamp').slice(0, 60));
    offline = await registerDevice(gateway.baseUrl, token, uniqueName('gone').slice(0, 60));
    sim = await connectDevice(online, 'mqtt', { silentApis: ['get_mac'] });
  });

  afterAll(async () => {
    await sim?.stop();
    await gateway?.close();
    await deviceCommand?.close();
    closeClient();
  });

  it('serves metrics on their own loopback listeners, not on the public API', async () => {
    expect((await call('/metrics')).status).toBe(404);
    const scraped = await text(GATEWAY_METRICS);
    expect(scraped.status).toBe(200);
    expect(sample(scraped.body, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    const own = await text(`${DEVICE_COMMAND_HTTP}/metrics`);
    expect(own.status).toBe(200);
    expect(sample(own.body, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('counts known traffic per route, per hop, per api and outcome, in both apps', async () => {
    for (let i = 0; i < 4; i++) expect((await call(`/devices/${online.name}/gpio/3`)).status).toBe(200);
    expect((await call(`/devices/${offline.name}/status`)).status).toBe(503); // DEVICE_OFFLINE
    expect((await call(`/devices/${online.name}/mac?timeout=100`)).status).toBe(504); // silent: DEVICE_TIMEOUT
    expect((await call(`/devices/${online.name}/gpio/3`)).status).toBe(200); // after a barrier

    const gw = (await text(GATEWAY_METRICS)).body;
    const http = 'iotcloud_http_request_duration_seconds_count';
    expect(sample(gw, http, { method: 'GET', route: '/devices/:name/gpio/:number', status: '200' })).toBe(5);
    expect(sample(gw, http, { method: 'GET', route: '/devices/:name/status', status: '503' })).toBe(1);
    expect(sample(gw, http, { method: 'GET', route: '/devices/:name/mac', status: '504' })).toBe(1);
    expect(sample(gw, http, { method: 'POST', route: '/devices', status: '201' })).toBe(2);
    const gwCalls = 'iotcloud_gateway_device_call_duration_seconds_count';
    expect(sample(gw, gwCalls, { api: 'get_gpio', outcome: 'ok' })).toBe(5);
    expect(sample(gw, gwCalls, { api: 'get_status', outcome: 'offline' })).toBe(1);
    expect(sample(gw, gwCalls, { api: 'get_mac', outcome: 'timeout' })).toBe(1);
    expect(sample(gw, 'iotcloud_device_registrations_total', { key_type: 'ec', outcome: 'ok' })).toBe(2);
    expect(sample(gw, 'iotcloud_broker_auth_decisions_total', { check: 'user', result: 'allow' })).toBeGreaterThan(0);
    expect(sample(gw, 'iotcloud_broker_auth_decision_duration_seconds_count', { check: 'topic' })).toBeGreaterThan(0);

    const dc = (await text(`${DEVICE_COMMAND_HTTP}/metrics`)).body;
    const dcCalls = 'iotcloud_device_command_call_duration_seconds_count';
    expect(sample(dc, dcCalls, { api: 'get_gpio', outcome: 'ok' })).toBe(5);
    expect(sample(dc, dcCalls, { api: 'get_status', outcome: 'offline' })).toBe(1);
    expect(sample(dc, dcCalls, { api: 'get_mac', outcome: 'timeout' })).toBe(1);
    const exchanges = 'iotcloud_device_exchange_duration_seconds_count';
    expect(sample(dc, exchanges, { api: 'get_gpio', kind: 'request', outcome: 'ok' })).toBe(5);
    expect(sample(dc, exchanges, { api: 'get_mac', kind: 'request', outcome: 'timeout' })).toBe(1);
    expect(sample(dc, exchanges, { kind: 'barrier', outcome: 'ok' })).toBe(1);
    expect(sample(dc, 'iotcloud_device_barriers_sent_total')).toBe(1);
    expect(sample(dc, 'iotcloud_device_replies_dropped_total', { reason: 'late' })).toBe(0);
    expect(sample(dc, 'iotcloud_device_queue_wait_seconds_count')).toBe(7);
    for (const shard of Array.from({ length: port('DEVICE_COMMAND_SHARDS', 8) }, (_, i) => String(i))) {
      expect(sample(dc, 'iotcloud_device_command_in_flight_requests', { shard }) ?? 0).toBe(0);
    }

    // Labels are bounded: no device id, device name or user name anywhere in either exposition.
    for (const unbounded of [online.deviceId, offline.deviceId, online.name, offline.name, username]) {
      expect(gw).not.toContain(unbounded);
      expect(dc).not.toContain(unbounded);
    }
  });

  it('returns the request id, carries it to device-command, and logs it in both apps', async () => {
    const id = `trace-${process.pid}-${Date.now()}`;
    const res = await call(`/devices/${online.name}/gpio/4`, { 'x-request-id': id });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    const generated = (await call(`/devices/${online.name}/gpio/4`, { 'x-request-id': 'no spaces allowed' })).headers[
      'x-request-id'
    ];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.filter((l) => l.context === 'Access' && l.requestId === id);
    expect(access).toEqual([
      expect.objectContaining({
        level: 'log',
        method: 'GET',
        route: '/devices/:name/gpio/:number',
        status: 200,
        userId: expect.any(String),
      }),
    ]);
    expect(logLines.join('\n')).not.toContain(token);
    // device-command takes the id from the RPC message's headers (a missing one would be a fresh uuid).
    const relayed = lines.filter((l) => l.context === 'InvokeDevice' && l.requestId === id);
    expect(relayed).toEqual([expect.objectContaining({ message: 'invoke', api: 'get_gpio', outcome: 'ok' })]);
  });

  it('answers liveness and readiness in both apps; readiness says 503 when device-command is down', async () => {
    expect(await call('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call('/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call('/health')).toMatchObject({
      status: 200,
      body: { status: 'ok', deviceCommand: { status: 'up' } },
    });
    expect(await text(`${DEVICE_COMMAND_HTTP}/health/live`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(JSON.parse((await text(`${DEVICE_COMMAND_HTTP}/health/ready`)).body)).toEqual({
      status: 'ok',
      broker: { status: 'up' },
    });
    await deviceCommand.close();
    try {
      const ready = await call('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'degraded',
        broker: { status: 'up' },
        deviceCommand: { status: 'down' },
      });
      expect((await call('/health/live')).status).toBe(200); // down dependencies never fail liveness
    } finally {
      deviceCommand = await startDeviceCommand();
    }
  });

  describe('with a real Prometheus (Debian package, on loopback)', () => {
    let prometheus: ChildProcess | undefined;

    beforeAll(async () => {
      // Installs the package when missing (idempotent), then runs it in the foreground.
      prometheus = spawn('bash', [path.join(ROOT, 'infra/prometheus.sh'), 'run'], {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      await until('Prometheus ready', 170, async () => ((await fetch(`${PROMETHEUS}/-/ready`)).ok ? true : undefined));
      await until('all three targets scraped', 30, async () => {
        const res = (await (await fetch(`${PROMETHEUS}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string }[] };
        };
        const targets = res.data.activeTargets;
        return targets.length === 3 && targets.every((t) => t.health === 'up') ? true : undefined;
      });
    }, 200_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
        prometheus.kill('SIGTERM');
        await exited;
      }
    });

    it('computes a p99 per hop from the histograms, and renders every dashboard panel query', async () => {
      // Two rounds of traffic, scrapes apart, so the rates over the window are not zero.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 5; i++) await call(`/devices/${online.name}/gpio/${i}`);
        await call(`/devices/${offline.name}/status`);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      for (const histogram of [
        'iotcloud_gateway_device_call_duration_seconds',
        'iotcloud_device_command_call_duration_seconds',
        'iotcloud_device_exchange_duration_seconds',
      ]) {
        const p99 = await until(`p99 of ${histogram}`, 20, async () => {
          const res = await promQuery(`histogram_quantile(0.99, sum by (le) (rate(${histogram}_bucket[1m])))`);
          const value = Number(res.data.result[0]?.value[1]);
          return Number.isFinite(value) && value > 0 ? value : undefined;
        });
        expect(p99).toBeLessThan(30); // within the largest bucket: a real quantile, not +Inf
      }

      const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'docs/grafana/iotcloud-dashboard.json'), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
      };
      const empty: string[] = [];
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const expr = target.expr.replaceAll('$__rate_interval', '1m');
          const res = await promQuery(expr);
          expect({ panel: panel.title, status: res.status, error: res.error }).toEqual({
            panel: panel.title,
            status: 'success',
            error: undefined,
          });
          if (res.data.result.length === 0) empty.push(`${panel.title}: ${expr}`);
        }
      }
      expect(empty).toEqual([]); // every query finds its series: the names are right
    });
  });
});
