import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, ExitCode, UsageError } from '../errors';
import { FakeTransport, fakeContext } from '../../test/fake-context';
import { registerDevice, renewDevice } from './devices';

const registration = {
  deviceId: 'cd'.repeat(16),
  name: 'lamp',
  keyOrigin: 'csr',
  certificate: 'CERT',
  caCertificate: 'CA',
  notAfter: '2027-01-01T00:00:00.000Z',
};

describe('devices register', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function setup(answer: () => { status: number; body: unknown }) {
    const http = new FakeTransport(answer);
    const ctx = fakeContext(http);
    dirs.push(ctx.dir);
    return { http, ctx };
  }

  it('writes no key file when the device made its own key (CSR), and says so', async () => {
    const { ctx } = setup(() => ({ status: 201, body: registration }));
    writeFileSync(
      join(ctx.dir, 'lamp.csr'),
      '-----BEGIN CERTIFICATE REQUEST-----\nX\n-----END CERTIFICATE REQUEST-----\n',
    );
    const result = await registerDevice(ctx, {
      kind: 'devices.register',
      name: 'lamp',
      csrFile: 'lamp.csr',
      outDir: 'out',
    });
    expect(existsSync(join(ctx.dir, 'out', 'lamp_pkey.pem'))).toBe(false);
    expect(readFileSync(join(ctx.dir, 'out', 'lamp_cert.pem'), 'utf8')).toBe('CERT');
    expect(statSync(join(ctx.dir, 'out')).mode & 0o777).toBe(0o700);
    expect(result.human).toMatch(/No private key was returned/);
  });

  it('refuses a file that is not a CSR, before any request (usage error)', async () => {
    const { http, ctx } = setup(() => ({ status: 201, body: registration }));
    writeFileSync(join(ctx.dir, 'bad.csr'), 'hello');
    await expect(
      registerDevice(ctx, { kind: 'devices.register', name: 'lamp', csrFile: 'bad.csr', outDir: 'out' }),
    ).rejects.toThrow(UsageError);
    await expect(
      registerDevice(ctx, { kind: 'devices.register', name: 'lamp', csrFile: 'none.csr', outDir: 'out' }),
    ).rejects.toThrow(/cannot read the CSR file/);
    expect(http.sent).toHaveLength(0);
  });

  it('refuses an output directory it cannot write, before the key is issued', async () => {
    const { http, ctx } = setup(() => ({ status: 201, body: registration }));
    writeFileSync(join(ctx.dir, 'afile'), '');
    await expect(registerDevice(ctx, { kind: 'devices.register', name: 'lamp', outDir: 'afile/sub' })).rejects.toThrow(
      /cannot write to the output directory/,
    );
    expect(http.sent).toHaveLength(0);
  });

  it('prints the response when saving fails after registration, so the one-time key is not lost', async () => {
    const { ctx } = setup(() => ({ status: 201, body: { ...registration, privateKey: 'SECRET-KEY' } }));
    // A non-empty directory where the certificate should go: the rename onto it fails (even for root).
    mkdirSync(join(ctx.dir, 'out', 'lamp_cert.pem', 'occupied'), { recursive: true });
    const result = await registerDevice(ctx, { kind: 'devices.register', name: 'lamp', outDir: 'out' });
    expect(result.exitCode).toBe(ExitCode.internal);
    expect(result.human).toContain('SECRET-KEY');
    expect(result.human).toMatch(/Registered device "lamp", but writing .* failed[\s\S]*not shown again/);
    expect(result.json).toMatchObject({ privateKey: 'SECRET-KEY' });
  });

  it('passes gateway errors through (409 name taken)', async () => {
    const { ctx } = setup(() => {
      throw new ApiError(409, 'DEVICE_NAME_TAKEN', 'taken');
    });
    await expect(registerDevice(ctx, { kind: 'devices.register', name: 'lamp', outDir: 'out' })).rejects.toMatchObject({
      code: 'DEVICE_NAME_TAKEN',
    });
  });
});

describe('devices renew', () => {
  it('posts to the device’s certificate route with the grace period and saves the new files', async () => {
    const http = new FakeTransport(() => ({
      status: 201,
      body: { ...registration, keyOrigin: 'ec', privateKey: 'KEY' },
    }));
    const ctx = fakeContext(http);
    try {
      const result = await renewDevice(ctx, {
        kind: 'devices.renew',
        name: 'lamp',
        keyType: 'ec',
        outDir: 'out',
        graceSeconds: 600,
      });
      expect(http.sent[0]).toMatchObject({
        method: 'POST',
        path: '/devices/lamp/certificate?graceSeconds=600',
        options: { body: { keyType: 'ec' } },
      });
      expect(readFileSync(join(ctx.dir, 'out', 'lamp_pkey.pem'), 'utf8')).toBe('KEY');
      expect(result.human).toMatch(/Renewed the certificate of device "lamp"/);
    } finally {
      rmSync(ctx.dir, { recursive: true, force: true });
    }
  });
});
