import { createPrivateKey, X509Certificate } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, opensslText, opensslVerify, removeDir } from '../test/openssl';
import {
  CertificateAuthorityInvalidError,
  CertificateAuthorityMissingError,
  ensurePkiFiles,
  issueDeviceCertificate,
  loadCertificateAuthority,
  PKI_FILE_NAMES,
} from './index';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;
const ALL_FILES = Object.values(PKI_FILE_NAMES);

let root: string;
/** The directory every test in the main describe shares (one CA for the file). */
let dir: string;
let firstRun: { created: string[]; kept: string[] };
let firstLog: string[];

const read = (name: string, from = dir): Promise<string> => readFile(join(from, name), 'utf8');
const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

beforeAll(async () => {
  root = await makeTempDir('pki-files');
  dir = join(root, 'nested', 'certs'); // must be created
  firstLog = [];
  firstRun = await ensurePkiFiles({
    dir,
    hostNames: ['broker.iot.example', '10.1.2.3'],
    log: (line) => firstLog.push(line),
  });
});

afterAll(() => removeDir(root));

describe('ensurePkiFiles on an empty directory', () => {
  it('creates the four files and reports them', () => {
    expect(firstRun.kept).toEqual([]);
    expect([...firstRun.created].sort()).toEqual(ALL_FILES.map((name) => join(dir, name)).sort());
    expect(firstLog).toHaveLength(4);
    expect(firstLog.every((line) => line.startsWith('created '))).toBe(true);
  });

  it('writes private keys 0600 and certificates 0644, and leaves no temporary files', async () => {
    expect(await modeOf(join(dir, PKI_FILE_NAMES.caKey))).toBe(0o600);
    expect(await modeOf(join(dir, PKI_FILE_NAMES.serverKey))).toBe(0o600);
    expect(await modeOf(join(dir, PKI_FILE_NAMES.caCert))).toBe(0o644);
    expect(await modeOf(join(dir, PKI_FILE_NAMES.serverCert))).toBe(0o644);
    expect((await readdir(dir)).sort()).toEqual([...ALL_FILES].sort());
  });

  it('creates a self-signed 10-year root CA', async () => {
    const caPem = await read(PKI_FILE_NAMES.caCert);
    const ca = new X509Certificate(caPem);
    expect(ca.subject).toBe('CN=IoTCloud Root CA');
    expect(ca.issuer).toBe('CN=IoTCloud Root CA');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
    const years = (new Date(ca.validTo).getTime() - Date.now()) / (365.25 * DAY_MS);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect((await opensslVerify(root, caPem, caPem)).code).toBe(0);
    const text = await opensslText(root, caPem);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign\s/);
    expect(text).toContain('Subject Key Identifier');
  });

  it('creates a server certificate for the broker and the gateway', async () => {
    const caPem = await read(PKI_FILE_NAMES.caCert);
    const serverPem = await read(PKI_FILE_NAMES.serverCert);
    const server = new X509Certificate(serverPem);
    expect(server.subject).toBe('CN=broker.iot.example');
    expect(server.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.keyUsage.sort()).toEqual([SERVER_AUTH, CLIENT_AUTH].sort());
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('broker.iot.example')).toBe('broker.iot.example');
    expect(server.checkHost('other.iot.example')).toBeUndefined();
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(server.checkPrivateKey(createPrivateKey(await read(PKI_FILE_NAMES.serverKey)))).toBe(true);
    const days = (new Date(server.validTo).getTime() - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(729);
    expect(days).toBeLessThan(731);

    expect((await opensslVerify(root, caPem, serverPem)).code).toBe(0);
    const text = await opensslText(root, serverPem);
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).toMatch(/SSL server : Yes/);
    expect(text).toMatch(/SSL client : Yes/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\s/);
    expect(text).toContain('Authority Key Identifier');
  });

  it('is idempotent: a second run keeps every file unchanged', async () => {
    const before = await Promise.all(ALL_FILES.map((name) => read(name)));
    const lines: string[] = [];
    const second = await ensurePkiFiles({
      dir,
      hostNames: ['broker.iot.example', '10.1.2.3'],
      log: (line) => lines.push(line),
    });
    expect(second.created).toEqual([]);
    expect([...second.kept].sort()).toEqual(ALL_FILES.map((name) => join(dir, name)).sort());
    expect(lines.every((line) => line.startsWith('kept '))).toBe(true);
    expect(await Promise.all(ALL_FILES.map((name) => read(name)))).toEqual(before);
    // A subset of the names (here none: only the defaults) is still covered.
    expect((await ensurePkiFiles({ dir })).created).toEqual([]);
  });

  it('loads the CA it wrote, and certificates issued from it verify against the file', async () => {
    const ca = await loadCertificateAuthority(dir);
    expect(ca.certificatePem).toBe(await read(PKI_FILE_NAMES.caCert));
    expect(ca.privateKeyPem).toBe(await read(PKI_FILE_NAMES.caKey));
    const issued = await issueDeviceCertificate({ ca, deviceId: 'from-disk', keyType: 'ec' });
    expect((await opensslVerify(root, await read(PKI_FILE_NAMES.caCert), issued.certificatePem)).code).toBe(0);
  });

  // Last in this describe: it replaces the server certificate.
  it('re-issues the server certificate from the same CA when a host name is added', async () => {
    const caBefore = await read(PKI_FILE_NAMES.caCert);
    const caKeyBefore = await read(PKI_FILE_NAMES.caKey);
    const serverBefore = await read(PKI_FILE_NAMES.serverCert);
    const lines: string[] = [];
    const result = await ensurePkiFiles({
      dir,
      hostNames: ['broker.iot.example', 'gateway.iot.example', '10.1.2.3'],
      log: (line) => lines.push(line),
    });
    expect([...result.created].sort()).toEqual(
      [join(dir, PKI_FILE_NAMES.serverCert), join(dir, PKI_FILE_NAMES.serverKey)].sort(),
    );
    expect([...result.kept].sort()).toEqual([join(dir, PKI_FILE_NAMES.caCert), join(dir, PKI_FILE_NAMES.caKey)].sort());
    expect(lines.join('\n')).toContain('gateway.iot.example');
    expect(await read(PKI_FILE_NAMES.caCert)).toBe(caBefore);
    expect(await read(PKI_FILE_NAMES.caKey)).toBe(caKeyBefore);
    const serverPem = await read(PKI_FILE_NAMES.serverCert);
    expect(serverPem).not.toBe(serverBefore);
    const server = new X509Certificate(serverPem);
    expect(server.checkHost('gateway.iot.example')).toBe('gateway.iot.example');
    expect(server.checkHost('broker.iot.example')).toBe('broker.iot.example');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect((await opensslVerify(root, caBefore, serverPem)).code).toBe(0);
    expect(await modeOf(join(dir, PKI_FILE_NAMES.serverKey))).toBe(0o600);
  });
});

describe('ensurePkiFiles repairs and refusals', () => {
  it('re-issues a server certificate that another CA issued, keeping this CA', async () => {
    const other = join(root, 'other-ca');
    await ensurePkiFiles({ dir: other });
    const caBefore = await read(PKI_FILE_NAMES.caCert, other);
    await copyFile(join(dir, PKI_FILE_NAMES.serverCert), join(other, PKI_FILE_NAMES.serverCert));
    await copyFile(join(dir, PKI_FILE_NAMES.serverKey), join(other, PKI_FILE_NAMES.serverKey));
    const lines: string[] = [];
    const result = await ensurePkiFiles({ dir: other, log: (line) => lines.push(line) });
    expect(result.created).toContain(join(other, PKI_FILE_NAMES.serverCert));
    expect(lines.join('\n')).toContain('not issued by the current CA');
    expect(await read(PKI_FILE_NAMES.caCert, other)).toBe(caBefore);
    expect((await opensslVerify(root, caBefore, await read(PKI_FILE_NAMES.serverCert, other))).code).toBe(0);
  });

  it('re-issues a server certificate whose key file is corrupt', async () => {
    const repaired = join(root, 'corrupt-key');
    await ensurePkiFiles({ dir: repaired });
    await writeFile(join(repaired, PKI_FILE_NAMES.serverKey), 'garbage');
    const result = await ensurePkiFiles({ dir: repaired });
    expect([...result.created].sort()).toEqual(
      [join(repaired, PKI_FILE_NAMES.serverCert), join(repaired, PKI_FILE_NAMES.serverKey)].sort(),
    );
  });

  it('refuses to create a CA next to a lone CA certificate', async () => {
    const half = join(root, 'half');
    await mkdir(half);
    await copyFile(join(dir, PKI_FILE_NAMES.caCert), join(half, PKI_FILE_NAMES.caCert));
    const error = await ensurePkiFiles({ dir: half }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CertificateAuthorityInvalidError);
    expect((error as Error).message).toContain(PKI_FILE_NAMES.caKey);
    expect((await readdir(half)).sort()).toEqual([PKI_FILE_NAMES.caCert]);
  });

  it('rejects an invalid host name without writing anything', async () => {
    const untouched = join(root, 'bad-host');
    await expect(ensurePkiFiles({ dir: untouched, hostNames: ['not a host!'] })).rejects.toThrow(RangeError);
    await expect(stat(untouched)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('creates a single CA when called concurrently on the same directory', async () => {
    const shared = join(root, 'concurrent');
    const [a, b] = await Promise.all([ensurePkiFiles({ dir: shared }), ensurePkiFiles({ dir: shared })]);
    const caPath = join(shared, PKI_FILE_NAMES.caCert);
    expect([a.created.includes(caPath), b.created.includes(caPath)].sort()).toEqual([false, true]);
    const caPem = await read(PKI_FILE_NAMES.caCert, shared);
    expect((await opensslVerify(root, caPem, await read(PKI_FILE_NAMES.serverCert, shared))).code).toBe(0);
  });
});

describe('loadCertificateAuthority', () => {
  it('tells to run `npm run certs` when the CA is missing', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const error = await loadCertificateAuthority(empty).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CertificateAuthorityMissingError);
    expect(error).toMatchObject({ code: 'PKI_CA_MISSING', kind: 'unavailable' });
    expect((error as Error).message).toContain('npm run certs');
  });

  it('rejects a CA key that does not belong to the CA certificate', async () => {
    const mixed = join(root, 'mixed');
    await mkdir(mixed);
    await copyFile(join(dir, PKI_FILE_NAMES.caCert), join(mixed, PKI_FILE_NAMES.caCert));
    await copyFile(join(dir, PKI_FILE_NAMES.serverKey), join(mixed, PKI_FILE_NAMES.caKey));
    await expect(loadCertificateAuthority(mixed)).rejects.toBeInstanceOf(CertificateAuthorityInvalidError);
  });
});
