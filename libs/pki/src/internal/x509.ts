/**
 * Builds X.509 v3 certificates with node-forge's asn1 and signs them with
 * node:crypto. forge's own certificate object only takes forge RSA keys, so
 * the TBSCertificate is assembled here field by field: that way the subject
 * public key can be any SubjectPublicKeyInfo (RSA or EC) and the issuer name
 * is copied byte for byte from the CA certificate.
 */
import { createHash, KeyObject, sign } from 'node:crypto';
import * as forge from 'node-forge';
import { bitStringBytes, readChildren, readTopLevel, Tag } from './der';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

/** forge's fromDer accepts an options object; its typings only declare `strict?: boolean`. */
interface FromDerOptions {
  strict: boolean;
  parseAllBytes: boolean;
  decodeBitStrings: boolean;
}
const fromDer = asn1.fromDer as unknown as (bytes: string, options: FromDerOptions) => Asn1;

export const Oid = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const bin = (bytes: Buffer): string => bytes.toString('binary');
const seq = (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
const set = (items: Asn1[]): Asn1 => asn1.create(UNIVERSAL, T.SET, true, items);
const oid = (dotted: string): Asn1 => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(dotted).getBytes());
const integer = (bytes: Buffer): Asn1 => asn1.create(UNIVERSAL, T.INTEGER, false, bin(bytes));
const boolean = (value: boolean): Asn1 => asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00');
const octetString = (bytes: Buffer): Asn1 => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(bytes));
const bitString = (bytes: Buffer, unusedBits = 0): Asn1 =>
  asn1.create(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unusedBits) + bin(bytes));
const nullValue = (): Asn1 => asn1.create(UNIVERSAL, T.NULL, false, '');
/** Embeds existing DER unchanged (bit strings are kept as raw bytes, not re-parsed). */
const embed = (der: Buffer): Asn1 => fromDer(bin(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });

export function toDer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

function time(date: Date): Asn1 {
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/**
 * DER of a Name: CN (UTF8String), then, when given, the X.520 serialNumber attribute
 * (PrintableString). Device certificates carry their own certificate serial there, so
 * the broker, which takes the login name from the subject, tells two certificates of
 * one device apart.
 */
export function commonNameDer(commonName: string, subjectSerial?: string): Buffer {
  const cn = asn1.create(UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(commonName));
  const rdns = [set([seq([oid(Oid.commonName), cn])])];
  if (subjectSerial !== undefined) {
    if (!/^[0-9a-f]{1,64}$/.test(subjectSerial))
      throw new RangeError('subject serial must be 1-64 lowercase hex digits');
    rdns.push(set([seq([oid(Oid.serialNumber), asn1.create(UNIVERSAL, T.PRINTABLESTRING, false, subjectSerial)])]));
  }
  return toDer(seq(rdns));
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifier(subjectPublicKeyInfo: Buffer): Buffer {
  const spki = readTopLevel(subjectPublicKeyInfo, Tag.SEQUENCE);
  const publicKey = bitStringBytes(subjectPublicKeyInfo, readChildren(subjectPublicKeyInfo, spki)[1]);
  return createHash('sha1').update(publicKey).digest();
}

// ---------------------------------------------------------------------------
// Signing

export interface Signer {
  readonly key: KeyObject;
  readonly digest: 'sha256' | 'sha384';
  /** DER of the AlgorithmIdentifier written into the certificate (twice). */
  readonly algorithmIdentifier: Buffer;
}

/** How certificates are signed with `key`; undefined if its type is not supported for a CA. */
export function signerFor(key: KeyObject): Signer | undefined {
  if (key.asymmetricKeyType === 'rsa') {
    return {
      key,
      digest: 'sha256',
      algorithmIdentifier: toDer(seq([oid(Oid.sha256WithRSAEncryption), nullValue()])),
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') {
      return { key, digest: 'sha256', algorithmIdentifier: toDer(seq([oid(Oid.ecdsaWithSha256)])) };
    }
    if (curve === 'secp384r1') {
      return { key, digest: 'sha384', algorithmIdentifier: toDer(seq([oid(Oid.ecdsaWithSha384)])) };
    }
  }
  return undefined;
}

/** crypto.sign with a callback runs on libuv's thread pool, not on the event loop. */
function signAsync(digest: string, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(digest, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

// ---------------------------------------------------------------------------
// Certificates

export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
const KEY_USAGE_BIT: Record<KeyUsage, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
};

/** A named-bit BIT STRING in DER form (trailing zero bits dropped). */
function keyUsageBits(usages: readonly KeyUsage[]): Asn1 {
  const bits = usages.map((usage) => KEY_USAGE_BIT[usage]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export interface SubjectAltNames {
  readonly dns: readonly string[];
  /** 4 or 16 bytes each. */
  readonly ip: readonly Buffer[];
}

export interface CertificateTemplate {
  /** Content octets of the serial INTEGER (minimal, positive). */
  readonly serial: Buffer;
  /** DER of the issuer Name (the CA certificate's subject, byte for byte). */
  readonly issuer: Buffer;
  /** DER of the subject Name. */
  readonly subject: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectAltNames?: SubjectAltNames;
  readonly subjectKeyIdentifier: Buffer;
  /** Omitted for self-signed certificates. */
  readonly authorityKeyIdentifier?: Buffer;
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  // critical BOOLEAN DEFAULT FALSE: DER omits the default.
  return seq([oid(id), ...(critical ? [boolean(true)] : []), octetString(toDer(value))]);
}

function extensions(template: CertificateTemplate): Asn1[] {
  const list = [
    extension(Oid.basicConstraints, true, seq(template.isCa ? [boolean(true)] : [])),
    extension(Oid.keyUsage, true, keyUsageBits(template.keyUsage)),
  ];
  if (template.extendedKeyUsage?.length) {
    list.push(extension(Oid.extKeyUsage, false, seq(template.extendedKeyUsage.map(oid))));
  }
  const sans = template.subjectAltNames;
  if (sans && (sans.dns.length > 0 || sans.ip.length > 0)) {
    const names = [
      ...sans.dns.map((name) => asn1.create(CONTEXT, 2, false, name)), // dNSName [2] IA5String
      ...sans.ip.map((address) => asn1.create(CONTEXT, 7, false, bin(address))), // iPAddress [7]
    ];
    list.push(extension(Oid.subjectAltName, false, seq(names)));
  }
  list.push(extension(Oid.subjectKeyIdentifier, false, octetString(template.subjectKeyIdentifier)));
  if (template.authorityKeyIdentifier) {
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
    const keyId = asn1.create(CONTEXT, 0, false, bin(template.authorityKeyIdentifier));
    list.push(extension(Oid.authorityKeyIdentifier, false, seq([keyId])));
  }
  return list;
}

/** Builds the TBSCertificate, signs its DER, and returns the Certificate DER. */
export async function buildCertificate(template: CertificateTemplate, signer: Signer): Promise<Buffer> {
  const algorithm = embed(signer.algorithmIdentifier);
  const tbs = seq([
    asn1.create(CONTEXT, 0, true, [integer(Buffer.from([2]))]), // version v3
    integer(template.serial),
    algorithm,
    embed(template.issuer),
    seq([time(template.notBefore), time(template.notAfter)]),
    embed(template.subject),
    embed(template.subjectPublicKeyInfo),
    asn1.create(CONTEXT, 3, true, [seq(extensions(template))]),
  ]);
  const tbsDer = toDer(tbs);
  const signature = await signAsync(signer.digest, tbsDer, signer.key);
  return toDer(seq([embed(tbsDer), embed(signer.algorithmIdentifier), bitString(signature)]));
}
