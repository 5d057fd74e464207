/**
 * `npm run test:faults`: the real stack under steady load, one fault at a time,
 * asserting what users see. Prints a table (fault, calls, failures by code,
 * longest call, seconds until calls succeed again) and exits 1 when an
 * assertion fails. See docs/reliability.md.
 *
 * A fault is one row of FAULTS below: a name, what it does to the stack, and what
 * it asserts. The 3-node cluster row (SIGKILL one broker node) is one more row,
 * to add once `infra/broker.sh` can run a cluster.
 *
 * Down windows default to the values; FAULTS_BROKER_DOWN_S and
 * FAULTS_DB_DOWN_S shorten them (CI does), the assertions stay the same.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { replyTopic } from '@app/device-protocol';
import { MqttDevice, silentLogger } from '../../apps/device-simulator/src';
import { HttpsClient, percentile, sleep } from '../../bench/http';
import { Registration, isRegistration } from '../../bench/session';
import { loadDotEnv } from '../../bench/stack';
import { Call, DEVICE_TIMEOUT_MS, Recorder, Trickle, runDeviceLoad, runLister, runTrickle } from './load';
import { AppProcess, NpmStart, ROOT, buildApps, freePort, infra, log, portOpen, run, waitHealthy } from './processes';

const BROKER_DOWN_S = Number(process.env.FAULTS_BROKER_DOWN_S ?? 20);
const DB_DOWN_S = Number(process.env.FAULTS_DB_DOWN_S ?? 30);
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

/** Seconds from `returnAt` to the end of the last failed call among `calls` (0 when none failed after it). */
function recoverySeconds(calls: Call[], returnAt: number): number {
  const last = calls.filter((c) => failed(c) && c.end >= returnAt).reduce((max, c) => Math.max(max, c.end), returnAt);
  return Math.round((last - returnAt) / 100) / 10;
}

// ---- the faults ----

async function brokerStop(stack: Stack): Promise<Row> {
  const from = Date.now();
  await infra('broker.sh', 'stop');
  const downAt = Date.now();
  await sleep(BROKER_DOWN_S * 1000);
  const startAt = Date.now();
  await infra('broker.sh', 'start');
  const backAt = Date.now();
  await sleep(15_000);
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
        'while the broker is down, every device call answers 503 DEVICE_COMMAND_UNAVAILABLE within 1 s',
      ),
      check(recoverySeconds(after, backAt) <= 10, 'device calls succeed again within 10 s of its return'),
    ],
  };
}

async function databaseStop(stack: Stack): Promise<Row> {
  const from = Date.now();
  await infra('database.sh', 'stop');
  const downAt = Date.now();
  await sleep(DB_DOWN_S * 1000);
  const startAt = Date.now();
  await infra('database.sh', 'start');
  const backAt = Date.now();
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
      check(devices.length > 0 && devices.every((c) => !failed(c)), 'device calls for known devices keep working'),
      check(
        dbDown.length > 0 && dbDown.every((c) => c.code === 'DATABASE_UNAVAILABLE' && duration(c) <= 1000),
        'reads and writes that need the database answer 503 DATABASE_UNAVAILABLE within 1 s',
      ),
      check(recoverySeconds(dbAfter, backAt) <= 5, 'they succeed again within 5 s of its return'),
    ],
  };
}

async function deviceCommandKill(stack: Stack): Promise<Row> {
  const from = Date.now();
  const victim = stack.deviceCommands[0];
  await victim.kill('SIGKILL');
  const killedAt = Date.now();
  await sleep(10_000);
  const to = Date.now();
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
  const from = Date.now();
  const victim = stack.gateways[1];
  await victim.kill('SIGKILL');
  await sleep(8_000);
  const to = Date.now();
  victim.start();
  const healthy = await waitHealthy(stack.gatewayUrls[1], stack.caPem, 60_000);
  const calls = stack.recorder.between(from, to);
  const survivor = calls.filter((c) => c.gateway === 0);
  return {
    fault: 'two gateway replicas: SIGKILL one',
    calls,
    recoveryS: null,
    checks: [
      check(survivor.length > 0 && survivor.every((c) => !failed(c)), 'the other replica keeps serving throughout'),
      check(healthy, 'the killed replica comes back when started again'),
    ],
  };
}

/** A device with a valid certificate that floods replies, sends garbage and 1 MB payloads, and reconnects in a tight loop. */
async function misbehavingDevice(stack: Stack, registration: Registration & { privateKey: string }): Promise<Row> {
  const { recorder } = stack;
  const baselineFrom = Date.now();
  await sleep(10_000);
  const from = Date.now();
  const until = from + 15_000;
  let connects = 0;
  let published = 0;
  let cutOff = 0;
  const big = Buffer.alloc(1024 * 1024, 0x61);
  while (Date.now() < until) {
    const client = mqtt.connect(`mqtts://localhost:${registration.mqtt.port}`, {
      clientId: registration.deviceId,
      cert: registration.certificate,
      key: registration.privateKey,
      ca: stack.caPem,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    const outcome = await new Promise<'connected' | 'failed'>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', () => resolve('failed'));
      client.once('close', () => resolve('failed'));
    });
    let leaving = false;
    if (outcome === 'connected') {
      connects += 1;
      client.once('close', () => {
        if (!leaving) cutOff += 1;
      });
      const floodUntil = Date.now() + 500;
      while (Date.now() < floodUntil && client.connected) {
        for (let i = 0; i < 50; i++) {
          client.publish(replyTopic(registration.deviceId, 'get_gpio'), JSON.stringify({ number: 1, value: 1 }));
          client.publish(replyTopic(registration.deviceId, 'get_status'), randomBytes(64));
          published += 2;
        }
        await sleep(5);
      }
      if (client.connected) {
        client.publish(replyTopic(registration.deviceId, 'get_mac'), big);
        published += 1;
      }
    }
    leaving = true;
    client.end(true);
  }
  const to = Date.now();
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

// ---- the run ----

async function main(): Promise<void> {
  const started = Date.now();
  loadDotEnv();
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
  const port = Number(process.env.PORT ?? 8443);
  const secondPort = await freePort();
  const common = { MONGODB_URI: uri.toString() };
  const deviceCommands = [0, 1].map((i) => new AppProcess(`device-command-${i}`, 'device-command', common));
  const gateways = [
    new AppProcess('gateway-0', 'gateway', { ...common, PORT: String(port) }),
    new AppProcess('gateway-1', 'gateway', { ...common, PORT: String(secondPort), BROKER_AUTH_PORT: '0' }),
  ];
  const gatewayUrls = [port, secondPort].map((p) => `https://localhost:${p}`);
  const rows: Row[] = [];
  const devices: MqttDevice[] = [];
  const clients = gatewayUrls.map((url) => new HttpsClient(url, caPem));
  const stop = new AbortController();
  setMaxListeners(CLIENTS + 10, stop.signal); // every load loop sleeps on it
  const loops: Promise<void>[] = [];
  try {
    for (const app of [...deviceCommands, ...gateways]) app.start();
    for (const url of gatewayUrls) {
      if (!(await waitHealthy(url, caPem, 120_000))) throw new Error(`the gateway at ${url} did not become healthy`);
    }
    const username = `faults-${randomBytes(5).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    await clients[0].request('POST', '/auth/signup', { body: { username, password } });
    const login = await clients[0].request('POST', '/auth/login', { body: { username, password } });
    const token = (login.json as { accessToken: string }).accessToken;
    const register = async (name: string) => {
      const res = await clients[0].request('POST', '/devices', { token, body: { name, keyType: 'ec' } });
      if (res.status !== 201 || !isRegistration(res.json)) throw new Error(`registering ${name}: ${res.text}`);
      return res.json as Registration & { privateKey: string };
    };
    const deviceNames = Array.from({ length: CLIENTS }, (_, i) => `load-${String(i + 1).padStart(2, '0')}`);
    log(`registering and connecting ${CLIENTS} simulated devices`);
    for (const name of deviceNames) {
      const r = await register(name);
      const device = new MqttDevice({
        deviceId: r.deviceId,
        name,
        certificatePem: r.certificate,
        privateKeyPem: r.privateKey,
        caPem,
        host: 'localhost',
        port: r.mqtt.port,
        logger: silentLogger,
        reconnectMinDelayMs: 200,
        reconnectMaxDelayMs: 1000,
      });
      await device.start();
      devices.push(device);
    }
    const bad = await register('bad-device');
    const recorder = new Recorder();
    const stack: Stack = { caPem, gateways, gatewayUrls, deviceCommands, clients, token, recorder, deviceNames };
    const trickle: Trickle = { registered: new Map(), unregistered: new Set() };
    loops.push(...runDeviceLoad({ clients, token, deviceNames }, recorder, stop.signal));
    loops.push(runTrickle(clients[0], token, recorder, trickle, stop.signal));
    loops.push(runLister(clients[0], token, recorder, stop.signal));
    await sleep(5_000);

    for (const fault of [
      () => hostileBodies(stack),
      () => misbehavingDevice(stack, bad),
      () => gatewayKill(stack),
      () => deviceCommandKill(stack),
      () => brokerStop(stack),
      () => databaseStop(stack),
      // The 3-node cluster (SIGKILL one node under load) goes here once infra/broker.sh runs a cluster.
    ]) {
      const row = await fault();
      log(`${row.fault}: ${row.checks.every((c) => c.ok) ? 'ok' : 'FAILED'}`);
      rows.push(row);
    }
    stop.abort();
    await Promise.all(loops);

    // Across all faults.
    const all = recorder.calls;
    const killedGateway = rows.find((r) => r.fault.startsWith('two gateway'));
    const fromKilled = new Set(killedGateway?.calls.filter((c) => c.gateway === 1) ?? []);
    const consistency = await checkRegistry(clients[0], token, trickle);
    rows.push({
      fault: 'across all faults',
      calls: all,
      recoveryS: null,
      checks: [
        check(
          [...deviceCommands, ...gateways].every((p) => p.unexpectedExits === 0),
          'no process of ours crashed or needed a restart by hand',
        ),
        check(
          all.every((c) => c.kind !== 'device' || duration(c) <= DEVICE_TIMEOUT_MS + 1000),
          'no device call outlived its timeout by more than 1 s',
        ),
        check(
          all.every(
            (c) =>
              c.code === 'OK' || (/^[A-Z][A-Z_]+$/.test(c.code) && c.code !== 'INTERNAL_ERROR') || fromKilled.has(c),
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
  } finally {
    stop.abort();
    await Promise.all(loops).catch(() => undefined);
    await Promise.all(devices.map((d) => d.stop().catch(() => undefined)));
    for (const client of clients) client.close();
    for (const app of [...gateways, ...deviceCommands]) await app.kill('SIGTERM');
  }

  // npm start owns the broker and database in these last two rows.
  printTable(rows, Math.round((Date.now() - started) / 1000)); // the rows so far, should the rest fail
  await infra('database.sh', 'stop');
  await infra('broker.sh', 'stop');
  try {
    rows.push(...(await restartAndStop(caPem)));
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
  lines.push('', `(${seconds} s; broker down ${BROKER_DOWN_S} s, database down ${DB_DOWN_S} s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
