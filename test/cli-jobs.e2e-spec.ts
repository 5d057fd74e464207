// The built `iotcloud` CLI (nest build cli → node dist/.../main.js, as `npm link` installs it) running
// job run | show | cancel against the real gateway, device-command, broker, database and simulated devices.
import { INestApplication } from '@nestjs/common';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConnectedDevice } from '../apps/device-simulator/src';
import { CERTS_DIR, RunningGateway, startDeviceCommand, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import { ROOT } from './support/infrastructure';
import { connectDevice } from './support/simulated-devices';

const DEVICES = 6;
const PASSWORD = 'correct-horse-battery';
const CLI_MAIN = path.join(ROOT, 'dist/apps/cli/apps/cli/src/main.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('iotcloud job (e2e: the built CLI against the real stack)', () => {
  let gateway: RunningGateway;
  let deviceCommand: INestApplication;
  let configDir: string;
  const devices: ConnectedDevice[] = [];
  const names: string[] = [];
  /** set_gpio requests each device received. */
  const received = new Map<string, number>();

  /** Runs the CLI as a child process (asynchronously: the gateway answering it runs in this process). */
  function cli(...args: string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_MAIN, ...args, '--url', gateway.baseUrl], {
        cwd: configDir,
        env: {
          PATH: process.env.PATH,
          IOTCLOUD_CONFIG: path.join(configDir, 'config.json'),
          IOTCLOUD_CA: path.join(CERTS_DIR, 'rootca.pem'),
        },
        stdio: ['ignore', 'pipe', 'pipe'], // not a terminal: plain progress lines
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    const build = spawnSync(path.join(ROOT, 'node_modules/.bin/nest'), ['build', 'cli'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`nest build cli failed: ${build.stdout}${build.stderr}`);
    configDir = mkdtempSync(path.join(tmpdir(), 'iotcloud-cli-e2e-'));
    gateway = await startGateway();
    deviceCommand = await startDeviceCommand();
    const username = uniqueName('cli-jobs');
    const token = await signUpAndLogIn(gateway.baseUrl, username, PASSWORD);
    for (let i = 0; i < DEVICES; i++) {
      const name = `cli-lamp-${i}`;
      names.push(name);
      const res = await request(gateway.baseUrl, 'POST', '/devices', {
        token,
        body: { name, keyType: 'ec', tags: { fleet: 'cli' } },
      });
      expect(res.status).toBe(201);
      const device = await connectDevice(res.body as never, 'mqtt');
      device.on('request', (event) => {
        if (event.api === 'set_gpio') received.set(name, (received.get(name) ?? 0) + 1);
      });
      devices.push(device);
    }
    const login = await cli('login', username, '--password', PASSWORD);
    expect(login).toMatchObject({ code: 0 });
  }, 180_000);

  afterAll(async () => {
    for (const device of devices) await device.stop();
    await deviceCommand?.close();
    await gateway?.close();
    closeClient();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  beforeEach(() => received.clear());

  it('job run follows a job over a tag to its end, with plain progress lines, and exits 0', async () => {
    const run = await cli('job', 'run', 'gpio', 'set', '3', '1', '--tag', 'fleet=cli', '--concurrency', '3');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    // The gateway answers before it has resolved the tag: the first line names the target as given.
    const id = /^job ([0-9a-f]+): set_gpio \{"number":3,"value":1\} on your devices tagged fleet=cli \(/.exec(
      lines[0],
    )?.[1];
    expect(id).toBeDefined();
    expect(lines.filter((l) => l.startsWith(`job ${id}: completed, 6/6 done (ok 6), `))).toHaveLength(1);
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(`^job ${id} completed: 6/6 devices done \\(ok 6\\) in \\d+\\.\\d s$`),
    );
    // Every device got the command exactly once.
    expect(received.size).toBe(DEVICES);
    expect([...received.values()].every((n) => n === 1)).toBe(true);

    const show = await cli('job', 'show', id as string, '--results', '--json');
    expect(show.code).toBe(0);
    const body = JSON.parse(show.stdout) as {
      state: string;
      counts: object;
      results: { device: string; reply: object }[];
    };
    expect(body).toMatchObject({ state: 'completed', counts: { ok: DEVICES } });
    expect(body.results.map((r) => r.device)).toEqual(names);
    expect(body.results.every((r) => JSON.stringify(r.reply) === '{"number":3,"value":1}')).toBe(true);
  });

  it('a device that fails makes the exit code 6; --json prints the final job', async () => {
    const run = await cli('job', 'run', 'status', '--devices', `${names[0]},ghost-device`, '--json');
    expect(run.code).toBe(6);
    const job = JSON.parse(run.stdout) as { id: string };
    expect(job).toMatchObject({ state: 'completed', total: 2, counts: { ok: 1, not_found: 1 } });
    const table = await cli('job', 'show', job.id, '--results');
    expect(table.stdout).toMatch(/1\s+ghost-device\s+done\s+not_found\s+DEVICE_NOT_FOUND/);
  });

  it('--no-wait prints the id; job cancel stops it; job show says so', async () => {
    const started = await cli(
      'job',
      'run',
      'gpio',
      'set',
      '4',
      '1',
      '--all',
      '--rate',
      '1',
      '--concurrency',
      '1',
      '--no-wait',
    );
    expect(started.code).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const cancel = await cli('job', 'cancel', id);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^job ${id} cancelled: no new dispatches`));
    const show = await cli('job', 'show', id, '--json');
    expect(JSON.parse(show.stdout)).toMatchObject({ id, state: 'cancelled' });
    const again = await cli('job', 'cancel', id, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id, state: 'cancelled' });
  });

  it('bad arguments and refused jobs exit non-zero with a stable code', async () => {
    const usage = await cli('job', 'run', 'gpio', 'set', '3', '7', '--all');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: GPIO value must be 0 or 1, got "7"\nusage: iotcloud job run OPERATION/);

    const noTarget = await cli('job', 'run', 'status', '--json');
    expect(noTarget.code).toBe(2);
    expect(JSON.parse(noTarget.stdout)).toMatchObject({ statusCode: 0, code: 'USAGE_ERROR' });

    // A tag no device has is not refused: the job completes at once with no device (README, "Bulk commands").
    const empty = await cli('job', 'run', 'status', '--tag', 'fleet=nowhere', '--json');
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ state: 'completed', total: 0, counts: {} });

    const missing = await cli('job', 'show', '0123456789abcdef01234567');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/\(JOB_NOT_FOUND, HTTP 404\)/);
  });
});
