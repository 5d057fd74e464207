/**
 * A minimal PKCS#10 certificate signing request builder on node:crypto, so the
 * registration scenario can prepare CSRs (as devices make them) without
 * openssl and outside the timed part.
 *
 *   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name, subjectPKInfo, attributes [0] SET OF }
 */
import { KeyObject, generateKeyPairSync, sign } from 'node:crypto';

/** One DER TLV with a definite length. */
export function derTlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) {
    header = Buffer.from([tag, length]);
  } else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

export const sequence = (...items: Buffer[]): Buffer => derTlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => derTlv(0x31, Buffer.concat(items));

/** DER OBJECT IDENTIFIER from dotted form. */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isInteger(arc) || arc < 0))
    throw new RangeError(`bad OID ${dotted}`);
  const bytes: number[] = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift(0x80 | (rest & 0x7f));
    bytes.push(...chunk);
  }
  return derTlv(0x06, Buffer.from(bytes));
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

export interface GeneratedCsr {
  csrPem: string;
  /** The device's private key (PKCS#8 PEM); it never leaves the "device". */
  privateKeyPem: string;
}

/** A CSR for `privateKey` with subject CN = `commonName`, signed with SHA-256 (ECDSA or RSA). */
export function buildCsr(privateKey: KeyObject, publicKey: KeyObject, commonName: string): string {
  const ec = privateKey.asymmetricKeyType === 'ec';
  if (!ec && privateKey.asymmetricKeyType !== 'rsa') throw new RangeError('only EC and RSA keys are supported');
  const subject = sequence(set(sequence(derOid(OID.commonName), derTlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = sequence(derTlv(0x02, Buffer.from([0])), subject, spki, derTlv(0xa0, Buffer.alloc(0)));
  // ECDSA: no parameters; RSA: NULL parameters.
  const algorithm = ec
    ? sequence(derOid(OID.ecdsaWithSha256))
    : sequence(derOid(OID.sha256WithRsa), Buffer.from([0x05, 0x00]));
  const signature = sign('sha256', info, privateKey);
  const der = sequence(info, algorithm, derTlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** A fresh EC P-256 key pair and its CSR, as a device would make them. */
export function generateEcCsr(commonName: string): GeneratedCsr {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    csrPem: buildCsr(privateKey, publicKey, commonName),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
