import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  AppName,
  ROOT,
  builtMain,
  freePort,
  gatewayPorts,
  gatewayUrl,
  dashRulers,
  prefixLines,
  probeHealth,
  run,
  waitHealthy,
  waitPortsFree,
} from './stack';

const APPS: AppName[] = ['api-gateway', 'device-command', 'device-simulator', 'cli'];

describe('builtMain', () => {
  it.each(APPS)("is where %s's tsconfig.app.json has nest build put main.js", (app) => {
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'apps', app, 'tsconfig.app.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    };
    const outDir = path.relative(ROOT, path.resolve(ROOT, 'apps', app, tsconfig.compilerOptions.outDir));
    // tsc keeps the sources' tree below outDir: apps/<app>/src/main.ts -> <outDir>/apps/<app>/src/main.js.
    expect(builtMain(app)).toBe(path.join(outDir, 'apps', app, 'src', 'main.js'));
  });

  it("is what package.json's bin runs for the CLI (JSON cannot import it: this keeps the two equal)", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.iotcloud).toBe(builtMain('cli'));
  });
});

describe('settings', () => {
  it('derives the gateway URL from PORT and HTTPS', () => {
    expect(gatewayUrl({ PORT: '9443' })).toBe('https://localhost:9443');
    expect(gatewayUrl({ PORT: '9080', HTTPS: 'false' })).toBe('http://localhost:9080');
    expect(gatewayUrl({})).toBe('https://localhost:8443');
  });

  it("names the gateway's fixed listeners by their settings", () => {
    expect(gatewayPorts({ PORT: '1', BROKER_AUTH_PORT: '0' })).toEqual({ PORT: 1, BROKER_AUTH_PORT: 0 });
  });
});

describe('prefixLines', () => {
  it('keeps the last lines, whole, however the output is chunked', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const stream = new PassThrough();
      const kept: string[] = [];
      prefixLines(stream, '[x] ', kept, 2);
      const ended = new Promise((resolve) => stream.on('end', resolve));
      stream.write('one\ntw');
      stream.write('o\nthree\nfo');
      stream.end('ur');
      await ended;
      expect(kept).toEqual(['two', 'three']);
      expect(write).toHaveBeenCalledWith('[x] two\n');
      expect(write).toHaveBeenCalledWith('[x] four\n'); // the unfinished last line, at the end
    } finally {
      write.mockRestore();
    }
  });
});

describe('run with a label', () => {
  it("prefixes every line of both streams and rewrites it, so a tool's summary cannot pass for ours", async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { code } = await run('bash', ['-c', 'echo "=== 1 warning in 1.5s ==="; echo oops >&2; exit 3'], {
        label: { prefix: '[tool] ', mapLine: dashRulers },
      });
      expect(code).toBe(3);
      expect(write).toHaveBeenCalledWith('[tool] --- 1 warning in 1.5s ---\n');
      expect(write).toHaveBeenCalledWith('[tool] oops\n');
      expect(write).not.toHaveBeenCalledWith(expect.stringMatching(/^=/));
    } finally {
      write.mockRestore();
    }
  });

  it('leaves "=" inside a line alone', () => {
    expect(dashRulers('a == b')).toBe('a == b');
    expect(dashRulers('== SUMMARY ==')).toBe('-- SUMMARY --');
  });
});

describe('probeHealth', () => {
  let server: http.Server;
  let status = 200;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/health' ? status : 404;
      res.end('{"status":"down"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is ok on 200, unhealthy with the body on another status, down without an answer', async () => {
    status = 200;
    expect(await probeHealth(base, '')).toEqual({ state: 'ok' });
    status = 503;
    expect(await probeHealth(base, '')).toEqual({ state: 'unhealthy', status: 503, body: '{"status":"down"}' });
    const closed = await freePort();
    expect(await probeHealth(`http://127.0.0.1:${closed}`, '')).toEqual({ state: 'down', reason: 'ECONNREFUSED' });
  });

  it('waitHealthy takes a 503 for an answer only when asked to (a gateway started without device-command)', async () => {
    status = 503;
    expect(await waitHealthy(base, '', 60_000, { anyAnswer: true })).toMatchObject({ state: 'unhealthy', status: 503 });
    expect(await waitHealthy(base, '', 1_000)).toMatchObject({ state: 'unhealthy' }); // polled until the deadline
    status = 200;
    expect(await waitHealthy(base, '', 60_000)).toEqual({ state: 'ok' });
  });
});

describe('waitPortsFree', () => {
  it('passes free and disabled (0) ports at once, and names the setting of a port that stays taken', async () => {
    const log = jest.fn();
    await waitPortsFree({ PORT: await freePort(), BROKER_AUTH_PORT: 0 }, 1, log);
    expect(log).not.toHaveBeenCalled();

    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      await expect(waitPortsFree({ PORT: taken }, 1, log)).rejects.toThrow(
        `port ${taken} is in use by another process; set PORT in .env`,
      );
      expect(log).toHaveBeenCalledWith(expect.stringContaining(`port ${taken} is still in use`));
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('waits for a port that frees meanwhile', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const waiting = waitPortsFree({ PORT: port }, 30, () => holder.close());
    await expect(waiting).resolves.toBeUndefined();
  });
});
