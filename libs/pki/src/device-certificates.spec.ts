import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { makeTempDir, opensslCsr, opensslText, opensslVerify, removeDir } from '../test/openssl';
import {
  CertificateAuthority,
  CertificateAuthorityInvalidError,
  certificateFingerprint,
  createCertificateAuthority,
  InvalidCertificateError,
  InvalidCsrError,
  issueDeviceCertificate,
  IssuedCertificate,
  signCertificateRequest,
  WeakKeyError,
} from './index';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;
const SKEW_MS = 5 * 60_000;

let dir: string;
let ca: CertificateAuthority;
let caPublicKey: KeyObject;

beforeAll(async () => {
  dir = await makeTempDir('pki-device');
  ca = await createCertificateAuthority();
  caPublicKey = new X509Certificate(ca.certificatePem).publicKey;
});

afterAll(() => removeDir(dir));

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** Checks shared by every device certificate, with node:crypto and the openssl CLI as verifiers. */
async function expectValidDeviceCertificate(issued: IssuedCertificate, deviceId: string): Promise<X509Certificate> {
  const cert = new X509Certificate(issued.certificatePem);
  expect(cert.verify(caPublicKey)).toBe(true);
  expect(cert.checkIssued(new X509Certificate(ca.certificatePem))).toBe(true);

  const verified = await opensslVerify(dir, ca.certificatePem, issued.certificatePem);
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
  expect(verified.stdout).toMatch(/: OK\s*$/);

  // The serial in the subject tells two certificates of one device apart at the broker.
  expect(cert.subject).toBe(`CN=${deviceId}\nserialNumber=${issued.serialNumber}`);
  expect(BigInt(`0x${cert.serialNumber}`)).toBe(BigInt(`0x${issued.serialNumber}`));
  expect(cert.issuer).toBe('CN=IoTCloud Root CA');
  expect(cert.ca).toBe(false);
  expect(cert.keyUsage).toEqual([CLIENT_AUTH]);

  const text = await opensslText(dir, issued.certificatePem);
  expect(text).toContain('TLS Web Client Authentication');
  expect(text).not.toContain('TLS Web Server Authentication');
  expect(text).toMatch(/SSL client : Yes/);
  expect(text).toMatch(/SSL server : No/);
  expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
  // authorityKeyIdentifier = the CA's subjectKeyIdentifier
  const caText = await opensslText(dir, ca.certificatePem);
  const caKeyId = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
  expect(caKeyId).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${caKeyId}`));

  expect(issued.serialNumber).toBe(cert.serialNumber.toLowerCase());
  expect(issued.serialNumber).toMatch(/^[0-9a-f]+$/);
  expect(BigInt(`0x${issued.serialNumber}`)).toBeGreaterThanOrEqual(2n ** 63n);
  expect(BigInt(`0x${issued.serialNumber}`)).toBeLessThan(2n ** 127n);

  const nodeFingerprint = cert.fingerprint256.replace(/:/g, '').toLowerCase();
  expect(issued.fingerprintSha256).toBe(nodeFingerprint);
  expect(certificateFingerprint(issued.certificatePem)).toBe(nodeFingerprint);

  expect(issued.notBefore.getTime()).toBe(new Date(cert.validFrom).getTime());
  expect(issued.notAfter.getTime()).toBe(new Date(cert.validTo).getTime());
  return cert;
}

function expectValidity(issued: IssuedCertificate, days: number, issuedAt: number): void {
  // notBefore is back-dated 5 minutes for device clock skew; notAfter counts from issuance.
  expect(issued.notBefore.getTime()).toBeGreaterThanOrEqual(issuedAt - SKEW_MS - 1000);
  expect(issued.notBefore.getTime()).toBeLessThanOrEqual(Date.now() - SKEW_MS);
  expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(days * DAY_MS + SKEW_MS);
}

describe('issueDeviceCertificate', () => {
  it('issues an RSA-2048 client certificate with its private key', async () => {
    const issuedAt = Date.now();
    const issued = await issueDeviceCertificate({ ca, deviceId: 'ft900-0001' });
    const cert = await expectValidDeviceCertificate(issued, 'ft900-0001');
    expectValidity(issued, 365, issuedAt);

    const privateKey = createPrivateKey(issued.privateKeyPem ?? '');
    // PKCS#8 PEM: re-exporting it as PKCS#8 gives back exactly what was issued.
    expect(privateKey.export({ type: 'pkcs8', format: 'pem' })).toBe(issued.privateKeyPem);
    expect(privateKey.asymmetricKeyType).toBe('rsa');
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(privateKey)).toBe(true);
    expect(spki(createPublicKey(privateKey))).toEqual(spki(cert.publicKey));

    const text = await opensslText(dir, issued.certificatePem);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\s/);
  });

  it('issues an EC P-256 client certificate with its private key', async () => {
    const issued = await issueDeviceCertificate({ ca, deviceId: 'ft900-ec-7', keyType: 'ec' });
    const cert = await expectValidDeviceCertificate(issued, 'ft900-ec-7');

    const privateKey = createPrivateKey(issued.privateKeyPem ?? '');
    expect(privateKey.asymmetricKeyType).toBe('ec');
    expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkPrivateKey(privateKey)).toBe(true);

    const text = await opensslText(dir, issued.certificatePem);
    expect(text).toContain('NIST CURVE: P-256');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature\s*\n/); // no keyEncipherment for EC
  });

  it('honours validityDays', async () => {
    const issuedAt = Date.now();
    const issued = await issueDeviceCertificate({ ca, deviceId: 'short-lived', keyType: 'ec', validityDays: 30 });
    expectValidity(issued, 30, issuedAt);
    const cert = new X509Certificate(issued.certificatePem);
    expect(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()).toBe(30 * DAY_MS + SKEW_MS);
  });

  it('uses a fresh serial, key and fingerprint for every issuance', async () => {
    const [a, b] = await Promise.all([
      issueDeviceCertificate({ ca, deviceId: 'same-device', keyType: 'ec' }),
      issueDeviceCertificate({ ca, deviceId: 'same-device', keyType: 'ec' }),
    ]);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprintSha256).not.toBe(b.fingerprintSha256);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  it('rejects invalid arguments before generating anything', async () => {
    await expect(issueDeviceCertificate({ ca, deviceId: '' })).rejects.toThrow(RangeError);
    await expect(issueDeviceCertificate({ ca, deviceId: 'x'.repeat(65) })).rejects.toThrow(RangeError);
    await expect(issueDeviceCertificate({ ca, deviceId: 'ok', validityDays: 0 })).rejects.toThrow(RangeError);
    await expect(issueDeviceCertificate({ ca, deviceId: 'ok', validityDays: Number.NaN })).rejects.toThrow(RangeError);
  });

  it('refuses a CA whose key does not match its certificate', async () => {
    const other = await createCertificateAuthority();
    const mismatched = { certificatePem: ca.certificatePem, privateKeyPem: other.privateKeyPem };
    const error = await issueDeviceCertificate({ ca: mismatched, deviceId: 'd', keyType: 'ec' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CertificateAuthorityInvalidError);
    expect(error).toMatchObject({ code: 'PKI_CA_INVALID', kind: 'unavailable' });
  });
});

describe('signCertificateRequest', () => {
  it('signs an RSA-2048 CSR with the CN forced to the device id', async () => {
    const csr = await opensslCsr(dir, 'rsa:2048', '/CN=whatever/O=Evil Corp');
    const issued = await signCertificateRequest({ ca, deviceId: 'ft900-0042', csrPem: csr.csrPem });
    const cert = await expectValidDeviceCertificate(issued, 'ft900-0042');
    expect(issued.privateKeyPem).toBeUndefined();
    expect(cert.checkPrivateKey(createPrivateKey(csr.keyPem))).toBe(true);
    const text = await opensslText(dir, issued.certificatePem);
    expect(text).not.toContain('whatever');
    expect(text).not.toContain('Evil Corp');
  });

  it('signs an EC P-256 CSR', async () => {
    const issuedAt = Date.now();
    const csr = await opensslCsr(dir, 'P-256', '/CN=whatever');
    const issued = await signCertificateRequest({ ca, deviceId: 'ft900-ec-42', csrPem: csr.csrPem, validityDays: 90 });
    const cert = await expectValidDeviceCertificate(issued, 'ft900-ec-42');
    expectValidity(issued, 90, issuedAt);
    expect(cert.checkPrivateKey(createPrivateKey(csr.keyPem))).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('ignores extensions requested in the CSR', async () => {
    const csr = await opensslCsr(dir, 'P-256', '/CN=sneaky', [
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-addext',
      'subjectAltName=DNS:gateway.example.com',
    ]);
    const issued = await signCertificateRequest({ ca, deviceId: 'ft900-0043', csrPem: csr.csrPem });
    const cert = await expectValidDeviceCertificate(issued, 'ft900-0043'); // CA:FALSE, clientAuth only
    expect(cert.subjectAltName).toBeUndefined();
  });

  it('rejects a CSR whose signature does not verify', async () => {
    const csr = await opensslCsr(dir, 'rsa:2048', '/CN=original-subject');
    const der = Buffer.from(csr.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf('original-subject');
    expect(at).toBeGreaterThan(0);
    der.write('tampered', at, 'latin1'); // same length: still well-formed, signature now wrong
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const error = await signCertificateRequest({ ca, deviceId: 'd', csrPem: tampered }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCsrError);
    expect(error).toMatchObject({ code: 'INVALID_CSR', kind: 'invalid' });
    expect((error as Error).message).toMatch(/signature/);
  });

  it('rejects an RSA-1024 key as weak', async () => {
    const csr = await opensslCsr(dir, 'rsa:1024', '/CN=old-device');
    const error = await signCertificateRequest({ ca, deviceId: 'd', csrPem: csr.csrPem }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeakKeyError);
    expect(error).toMatchObject({ code: 'WEAK_KEY', kind: 'invalid' });
  });

  it.each(['secp256k1', 'ed25519'] as const)('rejects a %s key', async (key) => {
    const csr = await opensslCsr(dir, key, '/CN=odd-device');
    await expect(signCertificateRequest({ ca, deviceId: 'd', csrPem: csr.csrPem })).rejects.toBeInstanceOf(
      WeakKeyError,
    );
  });

  it('rejects garbage and non-CSR PEM as invalid', async () => {
    const truncated = (await opensslCsr(dir, 'P-256', '/CN=x')).csrPem.replace(/\n[^\n]+\n-----END/, '\n-----END');
    const inputs = [
      '',
      'hello world',
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
      '-----BEGIN CERTIFICATE REQUEST-----\n!!!not base64!!!\n-----END CERTIFICATE REQUEST-----\n',
      truncated,
      ca.certificatePem,
      `-----BEGIN CERTIFICATE REQUEST-----\n${'A'.repeat(40_000)}\n-----END CERTIFICATE REQUEST-----\n`,
    ];
    for (const csrPem of inputs) {
      await expect(signCertificateRequest({ ca, deviceId: 'd', csrPem })).rejects.toBeInstanceOf(InvalidCsrError);
    }
  });
});

describe('createCertificateAuthority', () => {
  it('encodes dates from 2050 on as GeneralizedTime (RFC 5280)', async () => {
    const longLived = await createCertificateAuthority({ commonName: 'Long Lived', validityDays: 365 * 80 });
    const cert = new X509Certificate(longLived.certificatePem);
    expect(new Date(cert.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(2100);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect((await opensslVerify(dir, longLived.certificatePem, longLived.certificatePem)).code).toBe(0);
  });
});

describe('certificateFingerprint', () => {
  it('rejects input that is not a certificate', () => {
    expect(() => certificateFingerprint('nope')).toThrow(InvalidCertificateError);
    expect(() => certificateFingerprint('-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----')).toThrow(
      InvalidCertificateError,
    );
  });
});
