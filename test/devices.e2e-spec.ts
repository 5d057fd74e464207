import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import mongoose from 'mongoose';
import { CA_PEM, CERTS_DIR, RunningGateway, startGateway } from './support/apps';
import { closeClient, request, signUpAndLogIn, uniqueName } from './support/https-client';
import type { RegisterDeviceResponseDto } from '../apps/api-gateway/src/devices/commands/register-device/register-device.response.dto';
import { DEVICE_RECORDS_COLLECTION } from '../apps/api-gateway/src/devices/database/device.collections';

// A registration as the API sends it (the list items are the same device fields): the response DTO states the shape.
type RegisteredDevice = RegisterDeviceResponseDto;

describe('device registry (e2e, HTTPS + real database + PKI)', () => {
  let gateway: RunningGateway;
  let token: string;
  let tmp: string;
  const url = () => gateway.baseUrl;
  const register = (body: object, as = token) =>
    request<RegisteredDevice>(url(), 'POST', '/devices', { body, token: as });

  /** `openssl verify` against certs/rootca.pem: an independent verifier. */
  function opensslVerify(certificatePem: string): string {
    const file = path.join(tmp, `cert-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(file, certificatePem);
    return execFileSync('openssl', ['verify', '-CAfile', path.join(CERTS_DIR, 'rootca.pem'), file], {
      encoding: 'utf8',
    });
  }

  function makeCsr(keyArgs: string[]): string {
    const key = path.join(tmp, `key-${Math.random().toString(36).slice(2)}.pem`);
    return execFileSync(
      'openssl',
      ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-subj', '/CN=chosen-by-device'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'iotcloud-e2e-'));
    gateway = await startGateway();
    token = await signUpAndLogIn(url(), uniqueName('owner'));
  });
  afterAll(async () => {
    await gateway.close();
    closeClient();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('registers with a platform-generated RSA key and returns everything a device needs, once', async () => {
    const res = await register({ name: 'rsa-device' });
    expect(res.status).toBe(201);
    const device = res.body;
    expect(device.deviceId).toMatch(/^[0-9a-f]{32}$/);
    expect(device.keyOrigin).toBe('rsa');
    expect(device.caCertificate).toBe(CA_PEM);
    // The ports of this checkout's .env (a worktree may shift them from the defaults).
    expect(device.mqtt).toEqual({ host: 'localhost', port: Number(process.env.MQTT_PORT ?? 8883) });
    expect(device.amqp).toEqual({ host: 'localhost', port: Number(process.env.AMQP_PORT ?? 5671) });
    expect(opensslVerify(device.certificate)).toMatch(/: OK/);

    const cert = new X509Certificate(device.certificate);
    expect(cert.subject).toBe(`CN=${device.deviceId}\nserialNumber=${device.certificateSerial}`);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(device.privateKey ?? ''))).toBe(true);
    expect(cert.serialNumber.toLowerCase()).toBe(
      device.certificateSerial.replace(/^0+/, '').toLowerCase().padStart(cert.serialNumber.length, '0'),
    );
    expect(cert.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(device.certificateFingerprint);
  });

  it('registers with an EC P-256 key', async () => {
    const res = await register({ name: 'ec-device', keyType: 'ec' });
    expect(res.status).toBe(201);
    expect(res.body.keyOrigin).toBe('ec');
    expect(opensslVerify(res.body.certificate)).toMatch(/: OK/);
    const cert = new X509Certificate(res.body.certificate);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('signs a device CSR without ever seeing its key, forcing CN = deviceId', async () => {
    const res = await register({
      name: 'csr-device',
      csr: makeCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
    });
    expect(res.status).toBe(201);
    expect(res.body.keyOrigin).toBe('csr');
    expect(res.body.privateKey).toBeUndefined();
    expect(opensslVerify(res.body.certificate)).toMatch(/: OK/);
    expect(new X509Certificate(res.body.certificate).subject).toMatch(new RegExp(`^CN=${res.body.deviceId}\n`));
  });

  it('rejects a weak key, a tampered CSR and garbage with clear 400s', async () => {
    const weak = await register({ name: 'weak', csr: makeCsr(['-newkey', 'rsa:1024']) });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'WEAK_KEY' });

    const csr = makeCsr(['-newkey', 'rsa:2048']);
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 10] ^= 0xff; // flip bits in the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const bad = await register({ name: 'tampered', csr: tampered });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_CSR' });

    const garbage = await register({ name: 'garbage', csr: 'hello' });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ code: 'INVALID_CSR' });
  });

  it('validates names and key types', async () => {
    for (const body of [
      { name: '' },
      { name: 'has space' },
      { name: 'a'.repeat(65) },
      { name: 'dot.ted' },
      { name: 'ok', keyType: 'dsa' },
    ]) {
      const res = await register(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('keeps names unique per user (409), but not across users', async () => {
    expect((await register({ name: 'shared-name' })).status).toBe(201);
    const again = await register({ name: 'shared-name', keyType: 'ec' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'DEVICE_NAME_TAKEN' });

    const other = await signUpAndLogIn(url(), uniqueName('other'));
    expect((await register({ name: 'shared-name' }, other)).status).toBe(201);
  });

  it('lists and shows devices without any private key, scoped to the caller', async () => {
    const list = await request<RegisteredDevice[]>(url(), 'GET', '/devices', { token });
    expect(list.status).toBe(200);
    expect(list.body.map((d) => d.name)).toEqual(expect.arrayContaining(['rsa-device', 'ec-device', 'csr-device']));
    expect(list.text).not.toMatch(/PRIVATE KEY/);
    expect(list.body.every((d) => d.privateKey === undefined)).toBe(true);

    const one = await request<RegisteredDevice>(url(), 'GET', '/devices/rsa-device', { token });
    expect(one.status).toBe(200);
    expect(one.text).not.toMatch(/PRIVATE KEY/);

    const stranger = await signUpAndLogIn(url(), uniqueName('stranger'));
    const hidden = await request(url(), 'GET', '/devices/rsa-device', { token: stranger });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    const strangerList = await request<RegisteredDevice[]>(url(), 'GET', '/devices', { token: stranger });
    expect(strangerList.body).toEqual([]);
    expect((await request(url(), 'DELETE', '/devices/rsa-device', { token: stranger })).status).toBe(404);
  });

  it('unregisters (204): the device disappears, the record stays revoked, the name is free again', async () => {
    const first = await register({ name: 'short-lived' });
    const del = await request(url(), 'DELETE', '/devices/short-lived', { token });
    expect(del.status).toBe(204);
    expect((await request(url(), 'GET', '/devices/short-lived', { token })).status).toBe(404);
    expect((await request(url(), 'DELETE', '/devices/short-lived', { token })).status).toBe(404);

    const again = await register({ name: 'short-lived' });
    expect(again.status).toBe(201);
    expect(again.body.deviceId).not.toBe(first.body.deviceId);
    expect(again.body.certificateSerial).not.toBe(first.body.certificateSerial);

    const db = await mongoose.createConnection(process.env.MONGODB_URI as string).asPromise();
    try {
      const revoked = await db
        .collection<{ _id: string; [field: string]: unknown }>(DEVICE_RECORDS_COLLECTION)
        .findOne({ _id: first.body.deviceId });
      expect(revoked?.revokedAt).toBeInstanceOf(Date);
      expect(revoked?.certificateSerial).toBe(first.body.certificateSerial);
      expect(revoked?.certificateFingerprint).toBe(first.body.certificateFingerprint);
      // No private key anywhere in the registry.
      const all = await db.collection(DEVICE_RECORDS_COLLECTION).find({}).toArray();
      expect(JSON.stringify(all)).not.toMatch(/PRIVATE KEY/);
    } finally {
      await db.close();
    }
  });

  it('keeps the root CA key out of reach of the API and readable only by its owner', () => {
    const mode = statSync(path.join(CERTS_DIR, 'rootca_pkey.pem')).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(readFileSync(path.join(CERTS_DIR, 'rootca.pem'), 'utf8')).toBe(CA_PEM);
  });

  it('tags devices at registration and with PATCH, and lists them by tag, name prefix and page', async () => {
    const owner = await signUpAndLogIn(url(), uniqueName('tagger'));
    const names = ['pump-a', 'pump-b', 'pump-c', 'valve-a', 'valve-b'];
    for (const [i, name] of names.entries()) {
      const res = await register(
        { name, keyType: 'ec', tags: { site: i % 2 ? 'south' : 'north', kind: name.split('-')[0] } },
        owner,
      );
      expect(res.status).toBe(201);
      expect(res.body.tags).toMatchObject({ kind: name.split('-')[0] });
    }
    const patched = await request<RegisteredDevice>(url(), 'PATCH', '/devices/valve-b', {
      token: owner,
      body: { tags: { site: 'north', kind: 'valve', floor: '2' } },
    });
    expect(patched).toMatchObject({ status: 200, body: { tags: { site: 'north', kind: 'valve', floor: '2' } } });
    const list = async (query: string) => {
      const res = await request<RegisteredDevice[]>(url(), 'GET', `/devices${query}`, { token: owner });
      expect(res.status).toBe(200);
      return res.body.map((d) => d.name);
    };
    expect(await list('?tag=site=north')).toEqual(['pump-a', 'pump-c', 'valve-b']);
    expect(await list('?tag=site=north&tag=kind=pump')).toEqual(['pump-a', 'pump-c']);
    expect(await list('?tag=site=south')).toEqual(['pump-b', 'valve-a']); // valve-b left south
    expect(await list('?prefix=valve')).toEqual(['valve-a', 'valve-b']);
    expect(await list('?prefix=pump&tag=site=north&limit=1&after=pump-a')).toEqual(['pump-c']);
    // Paging: every device once, in name order.
    const seen: string[] = [];
    for (let after = ''; ;) {
      const page = await list(`?limit=2${after ? `&after=${after}` : ''}`);
      seen.push(...page);
      if (page.length < 2) break;
      after = page[page.length - 1];
    }
    expect(seen).toEqual(names);
    // Unregistered devices leave tag listings.
    expect((await request(url(), 'DELETE', '/devices/pump-c', { token: owner })).status).toBe(204);
    expect(await list('?tag=site=north')).toEqual(['pump-a', 'valve-b']);
    // Nobody else sees them.
    expect(await request(url(), 'GET', '/devices?tag=site=north', { token })).toMatchObject({ body: [] });
    expect((await request(url(), 'PATCH', '/devices/pump-a', { token, body: { tags: {} } })).body).toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
  });

  it('validates tags and list parameters', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    expect((await register({ name: 'many-tags', tags: tooMany })).body).toMatchObject({ code: 'INVALID_TAGS' });
    expect((await register({ name: 'bad-tag', tags: { 'a=b': 'c' } })).body).toMatchObject({ code: 'INVALID_TAGS' });
    // No `.` in keys (the database refuses it in a field name; it was a 500).
    expect((await register({ name: 'bad-tag', tags: { 'a.b': 'c' } })).body).toMatchObject({ code: 'INVALID_TAGS' });
    expect((await register({ name: 'bad-tag', tags: { a: 'with space' } })).body).toMatchObject({
      code: 'INVALID_TAGS',
    });
    for (const query of ['?limit=501', '?limit=0', '?tag=site', '?tag=a/b=c', '?after=a.b', '?prefix=x%20y']) {
      const res = await request(url(), 'GET', `/devices${query}`, { token });
      expect({ query, status: res.status, body: res.body }).toMatchObject({
        query,
        status: 400,
        body: { code: 'VALIDATION_FAILED' },
      });
    }
  });
});
