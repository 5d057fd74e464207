/**
 * `npm run test:faults`: the real stack under steady load, one fault at a time,
 * asserting what users see. Prints a table (fault, calls, failures by code,
 * longest call, seconds until calls succeed again) and exits 1 when an
 * assertion fails. See docs/reliability.md.
 *
 * A fault is one function below returning a row: what it does to the stack and what it
 * asserts. The single-node rows run first; then the same apps, devices and load move onto
 * a 3-node broker cluster (`infra/broker.sh start --cluster 3`) for its SIGKILL row; last,
 * `npm start` itself is restarted and stopped by SIGTERM.
 *
 * Windows default to the issue's values; `--ci` shortens them (see the constants below),
 * and FAULTS_BROKER_DOWN_S and FAULTS_DB_DOWN_S override both. The assertions stay the same.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { shardOf } from '@app/common/device-command';
import { MqttDevice, silentLogger } from '../../apps/device-simulator/src';
import { HttpsClient, percentile, sleep } from '../../bench/http';
import { Registration, isRegistration } from '../../bench/session';
import { loadDotEnv } from '../../bench/stack';
import type { BadDeviceReport, BadDeviceStart } from './bad-device';
import { Call, DEVICE_TIMEOUT_MS, Load, Recorder, Trickle, warmUp } from './load';
import { AppProcess, NpmStart, ROOT, buildApps, freePort, infra, log, portOpen, run, waitHealthy } from './processes';

/**
 * `--ci` (what `.ci/run` uses) shortens the down and watch windows so the suite fits CI's
 * time; the load, the faults and every assertion stay the same. FAULTS_BROKER_DOWN_S and
 * FAULTS_DB_DOWN_S override either profile.
 */
const CI = process.argv.includes('--ci');
/** For work on the cluster row: skip the single-node rows and the npm start rows. */
const CLUSTER_ONLY = process.argv.includes('--cluster-only');
const BROKER_DOWN_S = Number(process.env.FAULTS_BROKER_DOWN_S ?? (CI ? 8 : 20));
const DB_DOWN_S = Number(process.env.FAULTS_DB_DOWN_S ?? (CI ? 8 : 30));
/** After the broker's return: long enough to see calls succeed again within the promised 10 s. */
const BROKER_WATCH_S = CI ? 12 : 15;
/** The misbehaving device: the others' p99 before it (baseline), then while it misbehaves. */
const BASELINE_S = CI ? 6 : 10;
const MISBEHAVE_S = CI ? 8 : 15;
/** Calls watched after the cluster row's 15 s window, where none may fail. */
const CLUSTER_AFTER_S = CI ? 8 : 15;
const CLIENTS = 50;

interface Check {
  ok: boolean;
  what: string;
}

interface Row {
  fault: string;
  calls: Call[];
  /** Seconds from the end of the fault until calls succeeded again (null: not applicable). */
  recoveryS: number | null;
  checks: Check[];
}

interface Stack {
  caPem: string;
  gateways: AppProcess[];
  gatewayUrls: string[];
  deviceCommands: AppProcess[];
  clients: HttpsClient[];
  token: string;
  recorder: Recorder;
  deviceNames: string[];
}

const check = (ok: boolean, what: string): Check => ({ ok, what });
const isDbCall = (c: Call) => c.kind === 'register' || c.kind === 'list' || c.kind === 'unregister';
const failed = (c: Call) => c.code !== 'OK';
const duration = (c: Call) => c.end - c.start;

/** What `calls` ended with, for a failed check: count, codes, how many took over 1 s. */
function describe(calls: Call[]): string {
  const codes = new Map<string, number>();
  for (const c of calls) codes.set(c.code, (codes.get(c.code) ?? 0) + 1);
  const slow = calls.filter((c) => duration(c) > 1000).length;
  return `${calls.length} calls: ${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')}; ${slow} over 1 s`;
}

/** Seconds from `returnAt` to the end of the last failed call among `calls` (0 when none failed after it). */
function recoverySeconds(calls: Call[], returnAt: number): number {
  const last = calls.filter((c) => failed(c) && c.end >= returnAt).reduce((max, c) => Math.max(max, c.end), returnAt);
  return Math.round((last - returnAt) / 100) / 10;
}

// ---- the faults ----

async function brokerStop(stack: Stack): Promise<Row> {
  const from = stack.recorder.mark('broker: stopping');
  await infra('broker.sh', 'stop');
  const downAt = stack.recorder.mark('broker: stopped');
  await sleep(BROKER_DOWN_S * 1000);
  const startAt = stack.recorder.mark('broker: starting');
  await infra('broker.sh', 'start');
  const backAt = stack.recorder.mark('broker: started');
  await sleep(BROKER_WATCH_S * 1000);
  const to = Date.now();
  const { recorder } = stack;
  const down = recorder.between(downAt + 500, startAt, (c) => c.kind === 'device');
  const after = recorder.between(backAt, to, (c) => c.kind === 'device');
  return {
    fault: `single broker node: stop, ${BROKER_DOWN_S} s, start`,
    calls: recorder.between(from, to),
    recoveryS: recoverySeconds(after, backAt),
    checks: [
      check(
        down.length > 0 && down.every((c) => c.code === 'DEVICE_COMMAND_UNAVAILABLE' && duration(c) <= 1000),
        `while the broker is down, every device call answers 503 DEVICE_COMMAND_UNAVAILABLE within 1 s (${describe(down)})`,
      ),
      check(recoverySeconds(after, backAt) <= 10, 'device calls succeed again within 10 s of its return'),
    ],
  };
}

async function databaseStop(stack: Stack): Promise<Row> {
  const from = stack.recorder.mark('database: stopping');
  await infra('database.sh', 'stop');
  const downAt = stack.recorder.mark('database: stopped');
  await sleep(DB_DOWN_S * 1000);
  const startAt = stack.recorder.mark('database: starting');
  await infra('database.sh', 'start');
  const backAt = stack.recorder.mark('database: started');
  await sleep(8_000);
  const to = Date.now();
  const { recorder } = stack;
  const devices = recorder.between(from, to, (c) => c.kind === 'device');
  const dbDown = recorder.between(downAt + 500, startAt, isDbCall);
  const dbAfter = recorder.between(backAt, to, isDbCall);
  return {
    fault: `database: stop for ${DB_DOWN_S} s`,
    calls: recorder.between(from, to),
    recoveryS: recoverySeconds(dbAfter, backAt),
    checks: [
      check(
        devices.length > 0 && devices.every((c) => !failed(c)),
        `device calls for known devices keep working (${describe(devices)})`,
      ),
      check(
        dbDown.length > 0 && dbDown.every((c) => c.code === 'DATABASE_UNAVAILABLE' && duration(c) <= 1000),
        'reads and writes that need the database answer 503 DATABASE_UNAVAILABLE within 1 s',
      ),
      check(recoverySeconds(dbAfter, backAt) <= 5, 'they succeed again within 5 s of its return'),
    ],
  };
}

async function deviceCommandKill(stack: Stack): Promise<Row> {
  const from = stack.recorder.mark('SIGKILL device-command 0');
  const victim = stack.deviceCommands[0];
  await victim.kill('SIGKILL');
  const killedAt = stack.recorder.mark('device-command 0 exited');
  await sleep(10_000);
  const to = stack.recorder.mark('device-command 0 started again');
  victim.start();
  await sleep(3_000);
  const calls = stack.recorder.between(from, to);
  const devices = calls.filter((c) => c.kind === 'device');
  return {
    fault: 'two device-command replicas: SIGKILL one',
    calls,
    recoveryS: recoverySeconds(devices, killedAt),
    checks: [
      check(recoverySeconds(devices, killedAt) <= 5, 'its shards move to the other replica within 5 s'),
      check(
        devices.filter(failed).every((c) => /^DEVICE_[A-Z_]+$/.test(c.code)),
        'its in-flight requests fail with a stable DEVICE_* code',
      ),
    ],
  };
}

async function gatewayKill(stack: Stack): Promise<Row> {
  const { recorder } = stack;
  const victim = stack.gateways[1];
  const killAt = recorder.mark('SIGKILL gateway 1');
  await victim.kill('SIGKILL');
  const killedAt = recorder.mark('gateway 1 exited');
  await sleep(8_000);
  const to = Date.now();
  victim.start();
  const healthy = await waitHealthy(stack.gatewayUrls[1], stack.caPem, 60_000);
  recorder.mark('gateway 1 healthy again');
  // Every call that ended after the kill, those in flight at it too.
  const calls = recorder.calls.filter((c) => c.end >= killAt && c.start < to);
  // Requests the killed replica had already taken: no answer can come, and a balancer does not send
  // a request again once sent. Counted apart; every other call must succeed.
  const inFlight = calls.filter((c) => c.gateway === 1 && c.start <= killedAt && c.code.startsWith('NETWORK_'));
  const others = calls.filter((c) => !inFlight.includes(c));
  const failedOver = others.filter((c) => c.failedOver).length;
  return {
    fault: 'two gateway replicas: SIGKILL one',
    calls,
    recoveryS: null,
    checks: [
      check(
        others.length > 0 && others.every((c) => !failed(c)),
        `the other replica keeps serving throughout: every call but those the killed one had taken succeeds, ` +
          `${failedOver} of them failed over to it (${describe(others)})`,
      ),
      check(
        inFlight.every((c) => c.end <= killedAt + 1000),
        `the ${inFlight.length} call(s) in flight on the killed replica fail at once (connection reset), not at a timeout`,
      ),
      check(healthy, 'the killed replica comes back when started again'),
    ],
  };
}

/** A device with a valid certificate that floods replies, sends garbage and 1 MB payloads, and reconnects in a tight loop. */
async function misbehavingDevice(stack: Stack, registration: Registration & { privateKey: string }): Promise<Row> {
  const { recorder } = stack;
  // Its own process, started before the baseline so that its start-up is not in either window.
  const bad = await forkBadDevice();
  const baselineFrom = Date.now();
  await sleep(BASELINE_S * 1000);
  const from = recorder.mark('misbehaving device: starts');
  const start: BadDeviceStart = {
    url: `mqtts://localhost:${registration.mqtt.port}`,
    deviceId: registration.deviceId,
    certificate: registration.certificate,
    privateKey: registration.privateKey,
    caPem: stack.caPem,
    durationMs: MISBEHAVE_S * 1000,
  };
  const { connects, published, cutOff } = await bad.run(start);
  const to = recorder.mark('misbehaving device: stops');
  await sleep(3_000);
  const p99 = (calls: Call[]) =>
    percentile(
      calls.map(duration).sort((a, b) => a - b),
      99,
    );
  const base = p99(recorder.between(baselineFrom, from, (c) => c.kind === 'device' && !failed(c)));
  const during = p99(recorder.between(from, to, (c) => c.kind === 'device' && !failed(c)));
  log(
    `misbehaving device: ${connects} connects, ${published} messages, cut off by the broker ${cutOff} time(s); ` +
      `others' p99 ${base.toFixed(0)} ms before, ${during.toFixed(0)} ms during`,
  );
  const alive = [...stack.gateways, ...stack.deviceCommands].every((p) => p.running);
  return {
    fault: 'a misbehaving device: reply floods, garbage, 1 MB payloads, reconnect loop',
    calls: recorder.between(from, to),
    recoveryS: null,
    checks: [
      check(
        during <= 2 * base,
        `the other devices' p99 stays within 2x (${base.toFixed(0)} -> ${during.toFixed(0)} ms)`,
      ),
      check(alive, 'nothing crashes'),
      check(
        stack.deviceCommands.some((p) =>
          p.output.some((text) => text.includes(`device ${registration.deviceId} sends more than`)),
        ),
        'the bad device is throttled, and this is logged',
      ),
      check(
        recorder.between(from, to, (c) => c.kind === 'device').every((c) => !c.mismatch),
        'no reply of the bad device is taken for a request',
      ),
    ],
  };
}

async function hostileBodies(stack: Stack): Promise<Row> {
  const from = Date.now();
  let deep = '1';
  for (let i = 0; i < 3000; i++) deep = i % 2 ? `[${deep}]` : `{"a":${deep}}`;
  const bodies: [string, string, unknown][] = [];
  for (const [method, route] of [
    ['POST', '/auth/login'],
    ['POST', '/auth/signup'],
    ['POST', '/devices'],
    ['PUT', `/devices/${stack.deviceNames[0]}/gpio/1`],
    ['POST', '/login'],
  ]) {
    bodies.push([method, route, JSON.parse(deep)]);
    if (route === '/login') continue; // the legacy route reads what it can from any body (its old behaviour)
    bodies.push([method, route, { username: Array.from({ length: 5000 }, (_, i) => i), value: { $gt: 1 } }]);
    bodies.push([method, route, [1, 'two', { three: [3] }, null]]);
  }
  const codes: string[] = [];
  for (const [gateway, client] of stack.clients.entries()) {
    for (const [method, route, body] of bodies) {
      const res = await stack.recorder.time(
        'hostile',
        gateway,
        () => client.request(method, route, { token: stack.token, body, timeoutMs: 10_000 }),
        () => false,
      );
      codes.push(`${res?.status}`);
    }
  }
  const calls = stack.recorder.between(from, Date.now(), (c) => c.kind === 'hostile');
  return {
    fault: 'hostile request bodies: 3,000 levels deep, mixed types, huge arrays',
    calls,
    recoveryS: null,
    checks: [
      check(
        calls.every((c) => c.status === 400 && /^[A-Z_]+$/.test(c.code)),
        `every one answers 400 with a stable code (${[...new Set(calls.map((c) => c.code))].join(', ')})`,
      ),
    ],
  };
}

/** The misbehaving device's process (bad-device.ts), once it is ready to start. */
async function forkBadDevice(): Promise<{ run(start: BadDeviceStart): Promise<BadDeviceReport> }> {
  const child = fork(path.join(__dirname, 'bad-device.ts'), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the misbehaving device's process exited (${String(code)})`))),
  );
  exited.catch(() => undefined);
  await Promise.race([new Promise((resolve) => child.once('message', resolve)), exited]);
  return {
    run: (start) => {
      const report = new Promise<BadDeviceReport>((resolve) =>
        child.once('message', (message) => resolve(message as BadDeviceReport)),
      );
      child.send(start);
      return Promise.race([report, exited]);
    },
  };
}

/** Ctrl-C on `npm start`, then `npm start` again at once; finally SIGTERM to the new one's process group. */
async function restartAndStop(caPem: string): Promise<Row[]> {
  const port = Number(process.env.PORT ?? 8443);
  const baseUrl = `https://localhost:${port}`;
  const first = new NpmStart('npm start #1');
  let second: NpmStart | undefined;
  try {
    return await restartThenStop(first, baseUrl, caPem, port, (started) => (second = started));
  } finally {
    // Whatever failed above: leave nothing of ours running.
    for (const npm of [first, second]) {
      npm?.signalGroup('SIGTERM');
      await Promise.race([npm?.exited, sleep(120_000)]);
    }
  }
}

async function restartThenStop(
  first: NpmStart,
  baseUrl: string,
  caPem: string,
  port: number,
  onSecond: (npm: NpmStart) => void,
): Promise<Row[]> {
  if (!(await waitHealthy(baseUrl, caPem, 900_000))) throw new Error('npm start did not come up within 15 minutes');
  first.signalGroup('SIGINT');
  const restartAt = Date.now();
  const second = new NpmStart('npm start #2');
  onSecond(second);
  const cameUp = await waitHealthy(baseUrl, caPem, 900_000);
  const upAfterS = Math.round((Date.now() - restartAt) / 100) / 10;
  const restartRow: Row = {
    fault: 'restart: npm start right after Ctrl-C',
    calls: [],
    recoveryS: upAfterS,
    checks: [check(cameUp, `it comes up (healthy after ${upAfterS} s), waiting for the old processes`)],
  };
  await first.exited;

  second.signalGroup('SIGTERM');
  const stopAt = Date.now();
  await Promise.race([second.exited, sleep(60_000)]);
  let everythingStopped = false;
  while (Date.now() - stopAt < 60_000) {
    const ports = [port, Number(process.env.BROKER_AUTH_PORT ?? 8089), Number(process.env.AMQP_PORT ?? 5671)];
    ports.push(Number(process.env.LOCAL_DB_PORT ?? 27018));
    const open = await Promise.all(ports.map(portOpen));
    const broker = await infra('broker.sh', 'status');
    const db = await infra('database.sh', 'status');
    if (!open.some(Boolean) && !broker && !db && !second.groupAlive()) {
      everythingStopped = true;
      break;
    }
    await sleep(1000);
  }
  const stoppedAfterS = Math.round((Date.now() - stopAt) / 100) / 10;
  return [
    restartRow,
    {
      fault: "stop by a supervisor: SIGTERM to npm start's process group",
      calls: [],
      recoveryS: stoppedAfterS,
      checks: [
        check(everythingStopped, `everything it started stops, the database included (within ${stoppedAfterS} s)`),
      ],
    },
  ];
}

// ---- the 3-node cluster ----

const CLUSTER_SIZE = 3;
/** The node the cluster row SIGKILLs: it carries one device-command replica's connection and a third of the devices. */
const VICTIM_NODE = 2;
/** Node i's port for a base port of .env (infra/broker.sh: + 10 per node). */
const nodePort = (base: string | undefined, fallback: number, node: number) =>
  Number(base ?? fallback) + 10 * (node - 1);

/** SIGKILL one node of the 3-node cluster under load; the window is the 15 s after the kill. */
async function clusterNodeKill(stack: Stack, devices: MqttDevice[], deviceIds: Map<string, string>): Promise<Row> {
  const { recorder } = stack;
  const victimMqtt = `:${nodePort(process.env.MQTT_PORT, 8883, VICTIM_NODE)}`;
  const onVictim = devices.filter((d) => d.url.endsWith(victimMqtt));
  const pidFile = path.join(
    BROKER_DATA_DIR,
    `../${path.basename(BROKER_DATA_DIR)}-cluster/node${VICTIM_NODE}/rabbitmq.pid`,
  );
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const killAt = recorder.mark(`SIGKILL broker node ${VICTIM_NODE}`);
  process.kill(pid, 'SIGKILL');
  log(`SIGKILLed broker node ${VICTIM_NODE} (pid ${pid}); ${onVictim.length} devices were connected to it`);
  await sleep(15_000);
  const windowEnd = recorder.mark('cluster: 15 s window ends');
  await sleep(CLUSTER_AFTER_S * 1000);
  const to = recorder.mark('cluster: watch ends');
  const window = recorder.between(killAt, windowEnd);
  const after = recorder.between(windowEnd, to);
  const failedShare = window.length ? window.filter(failed).length / window.length : 1;
  // Every shard queue answered after the window: its consumer moved (or stayed) on a surviving node.
  const shards = Number(process.env.DEVICE_COMMAND_SHARDS ?? 8);
  const served = new Set(
    after
      .filter((c) => c.kind === 'device' && !failed(c))
      .map((c) => shardOf(deviceIds.get(c.device ?? '') ?? '', shards)),
  );
  const moved = onVictim.filter((d) => d.connected && !d.url.endsWith(victimMqtt)).length;
  return {
    fault: `3-node cluster: SIGKILL one node under load (${CLUSTER_AFTER_S} s watched after the 15 s window)`,
    calls: recorder.between(killAt, to),
    recoveryS: recoverySeconds(recorder.between(killAt, to), killAt),
    checks: [
      check(
        window.length > 0 && failedShare <= 0.01,
        `at most 1 % of calls fail in the 15 s after the kill (${(failedShare * 100).toFixed(2)} %; ${describe(window)})`,
      ),
      check(
        window.every((c) => duration(c) <= DEVICE_TIMEOUT_MS + 1000),
        'none hangs: every call in those 15 s ends within the device timeout + 1 s',
      ),
      check(after.length > 0 && after.every((c) => !failed(c)), `zero fail after that (${describe(after)})`),
      check(
        served.size === shards,
        `every shard queue answers after the window (${served.size} of ${shards}): its consumer is on a surviving node`,
      ),
      check(
        onVictim.length > 0 && moved === onVictim.length,
        `the devices on the killed node moved to surviving nodes by themselves (${moved} of ${onVictim.length})`,
      ),
    ],
  };
}

// ---- the run ----

/** The apps (two replicas each), their load and simulated devices, on one broker setup. */
interface Phase {
  stack: Stack;
  devices: MqttDevice[];
  load: Load;
}

interface PhaseSetup {
  label: string;
  caPem: string;
  common: Record<string, string>;
  ports: [number, number];
  /** Extra environment of device-command replica i and gateway replica i. */
  deviceCommandEnv: (i: number) => Record<string, string>;
  gatewayEnv: (i: number) => Record<string, string>;
  /** The broker MQTT ports device i tries, first to last. */
  devicePorts: (i: number) => number[];
  login: { username: string; password: string; signUp: boolean };
  registrations: Map<string, Registration & { privateKey: string }>;
  recorder: Recorder;
  trickle: Trickle;
  processes: AppProcess[];
}

async function startPhase(setup: PhaseSetup, devices: MqttDevice[]): Promise<Phase> {
  const { caPem, common, ports, registrations, recorder, trickle } = setup;
  const deviceCommands = [0, 1].map(
    (i) =>
      new AppProcess(`${setup.label}device-command-${i}`, 'device-command', {
        ...common,
        // One port per setting: the second replica runs without the health/metrics listener.
        ...(i > 0 ? { DEVICE_COMMAND_HTTP_PORT: '0' } : {}),
        ...setup.deviceCommandEnv(i),
      }),
  );
  const gateways = [0, 1].map(
    (i) =>
      new AppProcess(`${setup.label}gateway-${i}`, 'gateway', {
        ...common,
        PORT: String(ports[i]),
        ...(i > 0 ? { BROKER_AUTH_PORT: '0', METRICS_PORT: '0' } : {}),
        ...setup.gatewayEnv(i),
      }),
  );
  setup.processes.push(...deviceCommands, ...gateways);
  for (const app of [...deviceCommands, ...gateways]) app.start();
  const gatewayUrls = ports.map((p) => `https://localhost:${p}`);
  for (const url of gatewayUrls) {
    if (!(await waitHealthy(url, caPem, 180_000))) throw new Error(`the gateway at ${url} did not become healthy`);
  }
  const clients = gatewayUrls.map((url) => new HttpsClient(url, caPem));
  const { username, password } = setup.login;
  if (setup.login.signUp) await clients[0].request('POST', '/auth/signup', { body: { username, password } });
  const login = await clients[0].request('POST', '/auth/login', { body: { username, password } });
  const token = (login.json as { accessToken: string }).accessToken;
  const deviceNames = Array.from({ length: CLIENTS }, (_, i) => `load-${String(i + 1).padStart(2, '0')}`);
  for (const name of [...deviceNames, 'bad-device']) {
    if (registrations.has(name)) continue;
    const res = await clients[0].request('POST', '/devices', { token, body: { name, keyType: 'ec' } });
    if (res.status !== 201 || !isRegistration(res.json)) throw new Error(`registering ${name}: ${res.text}`);
    registrations.set(name, res.json as Registration & { privateKey: string });
  }
  log(`${setup.label || 'single node: '}connecting ${CLIENTS} simulated devices`);
  for (const [i, name] of deviceNames.entries()) {
    const r = registrations.get(name) as Registration & { privateKey: string };
    const [port, ...failover] = setup.devicePorts(i);
    const device = new MqttDevice({
      deviceId: r.deviceId,
      name,
      certificatePem: r.certificate,
      privateKeyPem: r.privateKey,
      caPem,
      host: 'localhost',
      port,
      failover: failover.map((p) => ({ host: 'localhost', port: p })),
      logger: silentLogger,
      reconnectMinDelayMs: 200,
      reconnectMaxDelayMs: 1000,
    });
    await device.start();
    // When the devices of a lost broker node are back, and what held them up.
    device.on('connect', () => recorder.mark(`${name} connected to ${device.url}`));
    device.on('warning', (error: Error) => recorder.mark(`${name}: ${error.message}`));
    devices.push(device);
  }
  const stack: Stack = { caPem, gateways, gatewayUrls, deviceCommands, clients, token, recorder, deviceNames };
  await warmUp({ clients, token, deviceNames });
  recorder.mark(`${setup.label || 'single node: '}load starts`);
  const load = new Load(
    { clients, token, deviceNames },
    recorder,
    trickle,
    `${setup.label.trim() || 'single'}-trickle`,
  );
  await sleep(5_000);
  return { stack, devices, load };
}

async function stopPhase(phase: Phase | undefined, devices: MqttDevice[]): Promise<void> {
  await phase?.load.stop();
  await Promise.all(devices.map((d) => d.stop().catch(() => undefined)));
  devices.length = 0;
  for (const client of phase?.stack.clients ?? []) client.close();
  for (const app of [...(phase?.stack.gateways ?? []), ...(phase?.stack.deviceCommands ?? [])])
    await app.kill('SIGTERM');
}

async function runFaults(rows: Row[], faults: (() => Promise<Row>)[]): Promise<void> {
  for (const fault of faults) {
    const row = await fault();
    log(`${row.fault}: ${row.checks.every((c) => c.ok) ? 'ok' : 'FAILED'}`);
    for (const c of row.checks.filter((c) => !c.ok)) log(`  failed: ${c.what}`);
    rows.push(row);
  }
}

const BROKER_DATA_DIR = process.env.BROKER_DATA_DIR ?? path.join(ROOT, '.local', 'rabbitmq');

async function main(): Promise<void> {
  const started = Date.now();
  // Not loaded before setup: it fills empty secrets in .env, and a variable once loaded (even empty) wins.
  if (!(await infra('setup.sh'))) throw new Error('infra/setup.sh failed');
  loadDotEnv();
  await buildApps();
  const caPem = readFileSync(path.join(ROOT, process.env.CERTS_DIR ?? 'certs', 'rootca.pem'), 'utf8');
  const brokerWasUp = await infra('broker.sh', 'status');
  const dbWasUp = await infra('database.sh', 'status');
  if (!brokerWasUp && !(await infra('broker.sh', 'start'))) throw new Error('could not start the broker');
  if (!dbWasUp && !(await infra('database.sh', 'start'))) throw new Error('could not start the database');
  const uri = new URL(process.env.MONGODB_URI || (await run('bash', ['infra/database.sh', 'uri'])).stdout.trim());
  uri.pathname = '/iotcloud_faults'; // its own database: the suite never touches real data
  const ports: [number, number] = [Number(process.env.PORT ?? 8443), await freePort()];
  const recorder = new Recorder();
  const trickle: Trickle = { registered: new Map(), unregistered: new Set() };
  const processes: AppProcess[] = [];
  const base = {
    caPem,
    common: { MONGODB_URI: uri.toString() },
    ports,
    login: { username: `faults-${randomBytes(5).toString('hex')}`, password: randomBytes(18).toString('base64url') },
    registrations: new Map<string, Registration & { privateKey: string }>(),
    recorder,
    trickle,
    processes,
  };
  const mqttPort = (node: number) => nodePort(process.env.MQTT_PORT, 8883, node);
  const rows: Row[] = [];
  const devices: MqttDevice[] = [];
  let phase: Phase | undefined;
  let consistency: { ok: boolean; detail: string };
  try {
    // Single broker node: every fault but the cluster's.
    phase = await startPhase(
      {
        ...base,
        label: '',
        login: { ...base.login, signUp: true },
        deviceCommandEnv: () => ({}),
        gatewayEnv: () => ({}),
        devicePorts: () => [mqttPort(1)],
      },
      devices,
    );
    const single = phase.stack;
    const bad = base.registrations.get('bad-device') as Registration & { privateKey: string };
    await runFaults(
      rows,
      CLUSTER_ONLY
        ? []
        : [
            () => hostileBodies(single),
            () => misbehavingDevice(single, bad),
            () => gatewayKill(single),
            () => deviceCommandKill(single),
            () => brokerStop(single),
            () => databaseStop(single),
          ],
    );
    await stopPhase(phase, devices);
    phase = undefined;

    // The same apps and devices on a 3-node cluster (quorum shard queues, every node in
    // AMQP_URLS, each process starting at a different node), then one node SIGKILLed.
    log(`moving the stack onto a ${CLUSTER_SIZE}-node broker cluster`);
    if (!(await infra('broker.sh', 'stop'))) throw new Error('could not stop the broker');
    if (!(await infra('broker.sh', 'start', '--cluster', String(CLUSTER_SIZE))))
      throw new Error('could not start the broker cluster');
    const urls = (await run('bash', ['infra/broker.sh', 'urls', '--cluster', String(CLUSTER_SIZE)])).stdout
      .trim()
      .split(',');
    const startingAt = (node: number) => [...urls.slice(node - 1), ...urls.slice(0, node - 1)].join(',');
    // Device i starts at node i mod 3 + 1; its failover order alternates between the other two, as a
    // fleet's endpoints are handed out (a shuffled DNS answer), so a lost node's devices spread.
    const nodesFrom = (node: number, i: number) => {
      const others = Array.from({ length: CLUSTER_SIZE - 1 }, (_, k) => ((node + k) % CLUSTER_SIZE) + 1);
      if (Math.floor(i / CLUSTER_SIZE) % 2 === 1) others.reverse();
      return [node, ...others].map(mqttPort);
    };
    phase = await startPhase(
      {
        ...base,
        label: 'cluster ',
        login: { ...base.login, signUp: false },
        // device-command 0 on the node to be killed, 1 on node 3; the gateways on nodes 1 and 3.
        deviceCommandEnv: (i) => ({
          AMQP_URLS: startingAt(i === 0 ? VICTIM_NODE : 3),
          DEVICE_COMMAND_QUEUE_TYPE: 'quorum',
        }),
        gatewayEnv: (i) => ({ AMQP_URLS: startingAt(i === 0 ? 1 : 3), DEVICE_COMMAND_QUEUE_TYPE: 'quorum' }),
        devicePorts: (i) => nodesFrom((i % CLUSTER_SIZE) + 1, i),
      },
      devices,
    );
    const cluster = phase.stack;
    const deviceIds = new Map([...base.registrations].map(([name, r]) => [name, r.deviceId]));
    await runFaults(rows, [() => clusterNodeKill(cluster, devices, deviceIds)]);
    await phase.load.stop();
    consistency = await checkRegistry(cluster.clients[0], cluster.token, trickle);
  } finally {
    await stopPhase(phase, devices);
  }

  // Across all faults.
  const all = recorder.calls;
  const killedGateway = rows.find((r) => r.fault.startsWith('two gateway'));
  const fromKilled = new Set(killedGateway?.calls.filter((c) => c.gateway === 1) ?? []);
  rows.push({
    fault: 'across all faults',
    calls: all,
    recoveryS: null,
    checks: [
      check(
        processes.every((p) => p.unexpectedExits === 0),
        'no process of ours crashed or needed a restart by hand',
      ),
      check(
        all.every((c) => c.kind !== 'device' || duration(c) <= DEVICE_TIMEOUT_MS + 1000),
        'no device call outlived its timeout by more than 1 s',
      ),
      check(
        all.every(
          (c) => c.code === 'OK' || (/^[A-Z][A-Z_]+$/.test(c.code) && c.code !== 'INTERNAL_ERROR') || fromKilled.has(c),
        ),
        'every failure has a stable code (calls to the SIGKILLed gateway itself excepted: no answer)',
      ),
      check(
        all.every((c) => !c.mismatch),
        'no reply was ever taken for another request',
      ),
      check(consistency.ok, `nothing acknowledged is lost (${consistency.detail})`),
    ],
  });

  // npm start owns the broker and database in these last two rows.
  printTable(rows, Math.round((Date.now() - started) / 1000)); // the rows so far, should the rest fail
  await infra('database.sh', 'stop');
  await infra('broker.sh', 'stop'); // every node of this checkout: the cluster's too
  rmSync(`${BROKER_DATA_DIR}-cluster`, { recursive: true, force: true });
  try {
    if (!CLUSTER_ONLY) rows.push(...(await restartAndStop(caPem)));
  } catch (error) {
    rows.push({
      fault: 'restart and SIGTERM (npm start)',
      calls: [],
      recoveryS: null,
      checks: [check(false, String(error))],
    });
  }
  if (brokerWasUp) await infra('broker.sh', 'start');
  if (dbWasUp) await infra('database.sh', 'start');

  printTable(rows, Math.round((Date.now() - started) / 1000));
  // Every call, for a closer look at a failed row.
  writeFileSync(
    path.join(ROOT, '.local', 'faults-calls.json'),
    JSON.stringify({ marks: recorder.marks, calls: recorder.calls }),
  );
  if (rows.some((r) => r.checks.some((c) => !c.ok))) process.exitCode = 1;
}

async function checkRegistry(
  client: HttpsClient,
  token: string,
  trickle: Trickle,
): Promise<{ ok: boolean; detail: string }> {
  let missing = 0;
  let resurrected = 0;
  for (const [name, certificate] of trickle.registered) {
    const res = await client.request('GET', `/devices/${name}`, { token });
    if (trickle.unregistered.has(name)) {
      if (res.status !== 404) resurrected += 1;
    } else if (res.status !== 200 || (res.json as { certificate?: string }).certificate !== certificate) {
      missing += 1;
    }
  }
  const active = trickle.registered.size - trickle.unregistered.size;
  return {
    ok: missing === 0 && resurrected === 0 && trickle.registered.size > 0,
    detail: `${active} registered devices all present with their certificate: ${missing} missing; ${trickle.unregistered.size} unregistered all revoked: ${resurrected} back`,
  };
}

function printTable(rows: Row[], seconds: number): void {
  const lines = [
    '',
    '| fault | calls | failed calls by code | longest call | s to recovery | result |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const codes = new Map<string, number>();
    for (const c of row.calls.filter(failed)) codes.set(c.code, (codes.get(c.code) ?? 0) + 1);
    const byCode =
      [...codes]
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || '0';
    const longest = row.calls.length ? `${Math.max(...row.calls.map(duration))} ms` : '–';
    const ok = row.checks.every((c) => c.ok);
    lines.push(
      `| ${row.fault} | ${row.calls.length || '–'} | ${row.calls.length ? byCode : '–'} | ${longest} | ${row.recoveryS ?? '–'} | ${ok ? 'pass' : 'FAIL'} |`,
    );
  }
  lines.push('', 'Assertions:');
  for (const row of rows) for (const c of row.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${row.fault}: ${c.what}`);
  lines.push(
    '',
    `(${seconds} s, ${CI ? '--ci' : 'full'} profile; broker down ${BROKER_DOWN_S} s, database down ${DB_DOWN_S} s; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
