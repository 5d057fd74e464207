import { generateKeyPairSync } from 'node:crypto';
import { verifyCertificateRequest } from '../libs/pki/src/internal/csr';
import { buildCsr, derOid, derTlv, generateEcCsr } from './csr';

describe('DER helpers', () => {
  it('encodes short and long lengths', () => {
    expect(derTlv(0x04, Buffer.alloc(3)).subarray(0, 2)).toEqual(Buffer.from([0x04, 3]));
    expect(derTlv(0x04, Buffer.alloc(200)).subarray(0, 3)).toEqual(Buffer.from([0x04, 0x81, 200]));
    expect(derTlv(0x04, Buffer.alloc(300)).subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
  });

  it('encodes OIDs with multi-byte arcs', () => {
    expect(derOid('2.5.4.3').toString('hex')).toBe('0603550403');
    expect(derOid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
  });
});

describe('buildCsr', () => {
  it('makes EC P-256 CSRs the platform accepts', async () => {
    const { csrPem } = generateEcCsr('bench-device-1');
    expect(csrPem).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE REQUEST-----\n$/,
    );
    const verified = await verifyCertificateRequest(csrPem);
    expect(verified.keyType).toBe('ec');
  });

  it('makes RSA CSRs the platform accepts', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const verified = await verifyCertificateRequest(buildCsr(privateKey, publicKey, 'bench-rsa'));
    expect(verified.keyType).toBe('rsa');
  });

  it('produces a signature that breaks when the request is altered', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    // Signed with another key than the one in the request.
    await expect(verifyCertificateRequest(buildCsr(other.privateKey, publicKey, 'x'))).rejects.toThrow(
      /does not verify/,
    );
    await expect(verifyCertificateRequest(buildCsr(privateKey, publicKey, 'x'))).resolves.toMatchObject({
      keyType: 'ec',
    });
  });
});
