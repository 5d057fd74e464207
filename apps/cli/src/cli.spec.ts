/**
 * The whole CLI, argv to exit code, against a fake gateway served over real
 * HTTPS on 127.0.0.1 (with a throwaway self-signed certificate).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli';
import { PromptInput } from './password';
import {
  RecordedRequest,
  Reply,
  TestServer,
  TlsFixture,
  makeTlsFixture,
  startTestServer,
  unusedPort,
} from '../test/tls-server';

const TOKEN = 'good-token';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';

/** A small in-memory gateway following the REST contract. */
class FakeGateway {
  gpio = new Map<number, 0 | 1>();
  rtc = 1_700_000_000;
  mac = '02:00:00:aa:bb:cc';
  devices = new Set(['lamp']);
  /** Per-path overrides, e.g. to make one device operation fail. */
  failures = new Map<string, Reply>();

  handle = (req: RecordedRequest): Reply => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/auth/login') {
      const body = req.body as { username?: string; password?: string };
      return body.password === 'correct-horse'
        ? { status: 200, body: { accessToken: TOKEN, tokenType: 'Bearer', expiresIn: 3600 } }
        : {
            status: 401,
            body: { statusCode: 401, code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' },
          };
    }
    if (req.method === 'POST' && path === '/auth/signup') return { status: 201 };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return {
        status: 401,
        body: { statusCode: 401, code: 'UNAUTHORIZED', message: 'Invalid or expired access token' },
      };
    }
    const failure = this.failures.get(`${req.method} ${path}`);
    if (failure) return failure;
    if (req.method === 'POST' && path === '/devices') {
      const { name } = req.body as { name: string };
      this.devices.add(name);
      return {
        status: 201,
        body: {
          deviceId: 'ab'.repeat(16),
          name,
          keyOrigin: 'rsa',
          certificate: 'CERT',
          privateKey: 'KEY',
          caCertificate: CA_PEM,
          notAfter: '2027-01-01T00:00:00.000Z',
        },
      };
    }
    const match = /^\/devices\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (!match)
      return { status: 404, body: { statusCode: 404, code: 'NOT_FOUND', message: `Cannot ${req.method} ${path}` } };
    const [, name, op] = match;
    if (!this.devices.has(name))
      return { status: 404, body: { statusCode: 404, code: 'DEVICE_NOT_FOUND', message: `No device named "${name}"` } };
    const body = req.body as { value?: unknown; data?: unknown; status?: unknown } | undefined;
    const gpio = /^gpio\/(\d+)$/.exec(op ?? '');
    switch (`${req.method} ${gpio ? 'gpio' : op}`) {
      case 'GET status':
        return { status: 200, body: { status: 'running' } };
      case 'PUT status':
        return { status: 200, body: { status: 'restarting' } };
      case 'GET gpio':
        return { status: 200, body: { number: Number(gpio?.[1]), value: this.gpio.get(Number(gpio?.[1])) ?? 0 } };
      case 'PUT gpio':
        this.gpio.set(Number(gpio?.[1]), body?.value === 1 ? 1 : 0);
        return { status: 200, body: { number: Number(gpio?.[1]), value: this.gpio.get(Number(gpio?.[1])) } };
      case 'GET rtc':
        return { status: 200, body: { value: this.rtc } };
      case 'PUT rtc':
        this.rtc = Number(body?.value);
        return { status: 200, body: { value: this.rtc } };
      case 'GET mac':
        return { status: 200, body: { value: this.mac } };
      case 'PUT mac':
        this.mac = String(body?.value);
        return { status: 200, body: { value: this.mac } };
      case 'GET ip':
        return { status: 200, body: { value: '192.168.1.10' } };
      case 'GET subnet':
        return { status: 200, body: { value: '255.255.255.0' } };
      case 'GET gateway':
        return { status: 200, body: { value: '192.168.1.1' } };
      case 'POST uart':
        return { status: 200, body: { data: body?.data } };
      case 'DELETE undefined':
        this.devices.delete(name);
        return { status: 204 };
      default:
        return { status: 404, body: { statusCode: 404, code: 'NOT_FOUND', message: `Cannot ${req.method} ${path}` } };
    }
  };
}

const noTty: PromptInput = {
  isTTY: false,
  setEncoding: () => undefined,
  on: () => undefined,
  removeListener: () => undefined,
  resume: () => undefined,
  pause: () => undefined,
};

describe('iotcloud CLI end to end', () => {
  let tls: TlsFixture;
  let server: TestServer;
  let gateway: FakeGateway;
  let home: string;
  let configFile: string;

  interface Outcome {
    code: number;
    stdout: string;
    stderr: string;
  }

  async function cli(argv: string[], env: Record<string, string> = {}, isTTY = false): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      env: { IOTCLOUD_URL: server.url, IOTCLOUD_CA: tls.certFile, IOTCLOUD_CONFIG: configFile, ...env },
      cwd: home,
      moduleDir: join(home, 'a', 'b', 'c'), // no certs/rootca.pem three levels up
      stdout: { write: (text: string) => (stdout += text), isTTY },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: noTty,
    });
    return { code, stdout, stderr };
  }

  function saveSession(overrides: Record<string, string> = {}): void {
    mkdirSync(join(configFile, '..'), { recursive: true });
    writeFileSync(
      configFile,
      JSON.stringify({
        url: server.url,
        username: 'alice',
        accessToken: TOKEN,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        ...overrides,
      }),
    );
  }

  beforeAll(async () => {
    tls = makeTlsFixture();
    server = await startTestServer(tls, (req) => gateway.handle(req));
  });

  beforeEach(() => {
    gateway = new FakeGateway();
    home = mkdtempSync(join(tmpdir(), 'iotcloud-cli-home-'));
    configFile = join(home, 'config', 'iotcloud', 'config.json');
    server.requests.length = 0;
  });

  afterEach(() => rmSync(home, { recursive: true, force: true }));

  afterAll(async () => {
    await server.close();
    tls.remove();
  });

  it('job run draws a bar in place on a terminal, plain lines elsewhere, and only JSON with --json', async () => {
    saveSession();
    const id = '0123456789abcdef01234567';
    const job = { id, api: 'set_gpio', params: { number: 3, value: 1 }, total: 2, createdAt: '2026-12-07T10:00:00Z' };
    gateway.failures.set('POST /jobs', { status: 202, body: { ...job, state: 'queued', counts: {} } });
    gateway.failures.set(`GET /jobs/${id}`, {
      status: 200,
      body: { ...job, state: 'completed', counts: { ok: 2 }, finishedAt: '2026-12-07T10:00:01Z' },
    });
    const argv = ['job', 'run', 'gpio', 'set', '3', '1', '--devices', 'a,b'];

    const tty = await cli(argv, {}, true);
    expect(tty.code).toBe(0);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/jobs',
      body: { devices: ['a', 'b'], api: 'set_gpio', params: { number: 3, value: 1 } },
    });
    expect(tty.stdout).toContain('\r\x1b[2K[------------------------]   0%  0/2  none yet');
    expect(tty.stdout).toContain('\r\x1b[2K[########################] 100%  2/2  ok 2');
    expect(tty.stdout).toMatch(
      /ok 2 {2}\d+\.\d s\njob 0123456789abcdef01234567 completed: 2\/2 devices done \(ok 2\) in 1\.0 s\n$/,
    );

    const piped = await cli(argv);
    expect(piped.stdout).not.toContain('\r');
    expect(piped.stdout).toContain(`job ${id}: completed, 2/2 done (ok 2)`);

    const json = await cli([...argv, '--json'], {}, true);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, state: 'completed', counts: { ok: 2 } });
  });

  it('login saves {url, username, accessToken, expiresAt} with mode 0600', async () => {
    const before = Date.now();
    const out = await cli(['login', 'alice'], { IOTCLOUD_PASSWORD: 'correct-horse' });

    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Logged in to ${server.url} as alice`);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, string>;
    expect(saved).toMatchObject({ url: server.url, username: 'alice', accessToken: TOKEN });
    const expires = Date.parse(saved.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: '/auth/login',
      body: { username: 'alice', password: 'correct-horse' },
    });
    expect(server.requests[0].headers.authorization).toBeUndefined();
  });

  it('login with a wrong password exits 3 and saves nothing', async () => {
    const out = await cli(['login', 'alice', '--password', 'wrong']);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('INVALID_CREDENTIALS');
    expect(existsSync(configFile)).toBe(false);
  });

  it('login without any password source and no terminal is a usage error (exit 2), before any request', async () => {
    const out = await cli(['login', 'alice']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/IOTCLOUD_PASSWORD/);
    expect(server.requests).toHaveLength(0);
  });

  it('signup prints nothing under --json (201, empty body) and exits 0', async () => {
    const out = await cli(['signup', 'bob', '--password', 'correct-horse', '--json']);
    expect(out).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(server.requests[0].body).toEqual({ username: 'bob', password: 'correct-horse' });
  });

  it('a device operation sends the bearer token and --json prints exactly the body', async () => {
    saveSession();
    const out = await cli(['status', 'lamp', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ status: 'running' });
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/devices/lamp/status' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('gpio set passes ?timeout= and the value, and prints a human line', async () => {
    saveSession();
    const out = await cli(['gpio', 'set', 'lamp', '5', '1', '--timeout', '250']);
    expect(out).toEqual({ code: 0, stdout: 'lamp: gpio 5 set to 1\n', stderr: '' });
    expect(server.requests[0]).toMatchObject({
      method: 'PUT',
      url: '/devices/lamp/gpio/5?timeout=250',
      body: { value: 1 },
    });
  });

  it.each<[string[], object]>([
    [['restart', 'lamp'], { method: 'PUT', url: '/devices/lamp/status', body: { status: 'restart' } }],
    [['rtc', 'set', 'lamp', '1234'], { method: 'PUT', url: '/devices/lamp/rtc', body: { value: 1234 } }],
    [
      ['mac', 'set', 'lamp', '02:00:00:00:00:01'],
      { method: 'PUT', url: '/devices/lamp/mac', body: { value: '02:00:00:00:00:01' } },
    ],
    [['uart', 'lamp', 'hi there'], { method: 'POST', url: '/devices/lamp/uart', body: { data: 'hi there' } }],
    [['subnet', 'lamp'], { method: 'GET', url: '/devices/lamp/subnet' }],
    [['gpio', 'get', 'lamp', '7'], { method: 'GET', url: '/devices/lamp/gpio/7' }],
  ])('%j sends %j', async (argv, expected) => {
    saveSession();
    const out = await cli(argv);
    expect(out.code).toBe(0);
    expect(server.requests[0]).toMatchObject(expected);
  });

  it('rtc set without EPOCH sends the current time', async () => {
    saveSession();
    const now = Math.floor(Date.now() / 1000);
    await cli(['rtc', 'set', 'lamp']);
    const sent = (server.requests[0].body as { value: number }).value;
    expect(Math.abs(sent - now)).toBeLessThanOrEqual(2);
  });

  it('an unknown device exits 4; a device problem exits 6; --json errors go to stdout', async () => {
    saveSession();
    const missing = await cli(['status', 'ghost']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('DEVICE_NOT_FOUND');

    gateway.failures.set('GET /devices/lamp/status', {
      status: 503,
      body: { statusCode: 503, code: 'DEVICE_OFFLINE', message: 'Device "lamp" is offline' },
    });
    const offline = await cli(['status', 'lamp', '--json']);
    expect(offline.code).toBe(6);
    expect(JSON.parse(offline.stdout)).toEqual({
      statusCode: 503,
      code: 'DEVICE_OFFLINE',
      message: 'Device "lamp" is offline',
    });
    expect(offline.stderr).toBe('');
  });

  it('not logged in: exit 3, says to run iotcloud login, sends nothing', async () => {
    const out = await cli(['devices', 'list']);
    expect(out.code).toBe(3);
    expect(out.stderr).toContain('run iotcloud login');
    expect(server.requests).toHaveLength(0);
  });

  it('an expired token: exit 3 (TOKEN_EXPIRED), sends nothing', async () => {
    saveSession({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    const out = await cli(['devices', 'list', '--json']);
    expect(out.code).toBe(3);
    expect(JSON.parse(out.stdout)).toMatchObject({
      code: 'TOKEN_EXPIRED',
      message: expect.stringContaining('run iotcloud login alice'),
    });
    expect(server.requests).toHaveLength(0);
  });

  it('a token the gateway rejects (401): exit 3 with a hint to log in', async () => {
    saveSession({ accessToken: 'revoked' });
    const out = await cli(['devices', 'list']);
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/UNAUTHORIZED[\s\S]*run iotcloud login/);
  });

  it('a gateway that is not running: exit 7, names the URL, suggests npm start, no stack', async () => {
    const port = await unusedPort();
    const out = await cli(['login', 'alice', '--password', 'x', '--url', `https://127.0.0.1:${port}`]);
    expect(out.code).toBe(7);
    expect(out.stderr).toContain(`https://127.0.0.1:${port}`);
    expect(out.stderr).toContain('npm start');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('the wrong CA: exit 7 with a TLS message, and the password is never sent', async () => {
    const out = await cli(['login', 'alice', '--password', 'correct-horse'], { IOTCLOUD_CA: tls.otherCaFile });
    expect(out.code).toBe(7);
    expect(out.stderr).toMatch(/TLS verification of .* failed/);
    expect(server.requests).toHaveLength(0);
  });

  it('--insecure works but warns on stderr', async () => {
    const out = await cli(['login', 'alice', '--password', 'correct-horse', '--insecure'], {
      IOTCLOUD_CA: tls.otherCaFile,
    });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/warning: --insecure/);
  });

  it('a usage error under --json: exit 2 and {statusCode, code, message} on stdout', async () => {
    const out = await cli(['gpio', 'set', 'lamp', '5', '7', '--json']);
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout)).toEqual({
      statusCode: 0,
      code: 'USAGE_ERROR',
      message: 'GPIO value must be 0 or 1, got "7"',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('devices register writes <name>.json, cert, key and rootca.pem with mode 0600', async () => {
    saveSession();
    const out = await cli(['devices', 'register', 'fan', '--out', 'keys']);
    expect(out.code).toBe(0);
    const dir = join(home, 'keys');
    for (const file of ['fan.json', 'fan_cert.pem', 'fan_pkey.pem', 'rootca.pem']) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, 'fan_pkey.pem'), 'utf8')).toBe('KEY');
    expect(readFileSync(join(dir, 'fan_cert.pem'), 'utf8')).toBe('CERT');
    expect(readFileSync(join(dir, 'rootca.pem'), 'utf8')).toBe(CA_PEM);
    expect(JSON.parse(readFileSync(join(dir, 'fan.json'), 'utf8'))).toMatchObject({
      name: 'fan',
      privateKey: 'KEY',
      caCertificate: CA_PEM,
    });
    expect(out.stdout).toContain('keys/fan_pkey.pem');
    expect(out.stdout).toContain('shown only once');
    expect(server.requests[0].body).toEqual({ name: 'fan' });
  });

  it('devices register --csr sends the CSR', async () => {
    saveSession();
    const csr = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
    writeFileSync(join(home, 'fan.csr'), csr);
    const out = await cli(['devices', 'register', 'fan', '--csr', 'fan.csr', '--out', 'keys']);
    expect(out.code).toBe(0);
    expect(server.requests[0].body).toEqual({ name: 'fan', csr });
  });

  it('devices unregister: DELETE, exit 0; logout removes the session', async () => {
    saveSession();
    const out = await cli(['devices', 'unregister', 'lamp']);
    expect(out.code).toBe(0);
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', url: '/devices/lamp' });
    const bye = await cli(['logout']);
    expect(bye.code).toBe(0);
    expect(existsSync(configFile)).toBe(false);
  });

  it('demo walks through every operation on one kept-alive connection and toggles the pin', async () => {
    saveSession();
    gateway.gpio.set(3, 0);
    const handshakesBefore = server.handshakes();
    const out = await cli(['demo', 'lamp', '--pin', '3', '--json']);

    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as {
      calls: { step: string; ok: boolean; ms: number }[];
      summary: Record<string, number>;
    };
    expect(report.summary).toMatchObject({ calls: 12, failures: 0 });
    expect(report.summary.maxMs).toBeGreaterThanOrEqual(report.summary.p50Ms);
    expect(gateway.gpio.get(3)).toBe(1);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /devices/lamp/status',
      'POST /devices/lamp/uart',
      'GET /devices/lamp/gpio/3',
      'PUT /devices/lamp/gpio/3',
      'GET /devices/lamp/gpio/3',
      'GET /devices/lamp/rtc',
      'PUT /devices/lamp/rtc',
      'GET /devices/lamp/mac',
      'GET /devices/lamp/ip',
      'GET /devices/lamp/subnet',
      'GET /devices/lamp/gateway',
      'PUT /devices/lamp/status',
    ]);
    expect(server.handshakes() - handshakesBefore).toBe(1);
  });

  it('demo prints a line per call with its time, and a summary', async () => {
    saveSession();
    gateway.gpio.set(0, 1);
    const out = await cli(['demo', 'lamp']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[5]).toMatch(/^ {2}5\. gpio get 0\s+\d+\.\d ms {2}gpio 0 = 0 \(changed from 1\)$/);
    expect(lines[13]).toMatch(/^Summary: 12 calls, 0 failed; round trip p50 \d+\.\d ms, max \d+\.\d ms/);
  });

  it('demo keeps going after a device error, counts it, and exits 6', async () => {
    saveSession();
    gateway.failures.set('POST /devices/lamp/uart', {
      status: 504,
      body: { statusCode: 504, code: 'DEVICE_TIMEOUT', message: 'No answer within 5000 ms' },
    });
    const out = await cli(['demo', 'lamp']);
    expect(out.code).toBe(6);
    expect(out.stdout).toMatch(/uart write\s+\d+\.\d ms {2}FAILED: No answer within 5000 ms \(DEVICE_TIMEOUT\)/);
    expect(out.stdout).toMatch(/Summary: 12 calls, 1 failed/);
    expect(server.requests.at(-1)).toMatchObject({ method: 'PUT', url: '/devices/lamp/status' });
  });

  it('demo stops at once for an unknown device (exit 4)', async () => {
    saveSession();
    const out = await cli(['demo', 'ghost']);
    expect(out.code).toBe(4);
    expect(server.requests).toHaveLength(1);
  });

  it('help exits 0 and documents the exit codes, even with a broken IOTCLOUD_URL', async () => {
    const out = await cli(['--help'], { IOTCLOUD_URL: 'http://not-https' });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Exit codes:[\s\S]*7\s+cannot reach the gateway/);
    expect(out.stderr).toBe('');
  });

  it('a bad IOTCLOUD_URL is a usage error for commands that need the gateway', async () => {
    saveSession();
    const out = await cli(['devices', 'list'], { IOTCLOUD_URL: 'http://not-https' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/IOTCLOUD_URL must be an https:\/\/ URL/);
  });
});
