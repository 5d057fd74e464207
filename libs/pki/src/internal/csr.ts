/**
 * PKCS#10 parsing and proof-of-possession check. forge's
 * certificationRequestFromPem only knows RSA keys, so the request is read
 * with the strict DER reader and the self-signature is checked with
 * node:crypto over the exact CertificationRequestInfo bytes that were sent.
 *
 * Only the public key is taken from a request. Its subject and attributes
 * (including requested extensions) are ignored: the platform decides the
 * subject and the extensions.
 */
import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { InvalidCsrError, WeakKeyError } from '../pki.errors';
import {
  bitStringBytes,
  contentOf,
  DerError,
  encodingOf,
  expectTag,
  oidOf,
  pemToDer,
  readChildren,
  readTopLevel,
  Tag,
} from './der';
import { Oid } from './x509';

/** Far above any real CSR; bounds the work done on hostile input. */
const MAX_CSR_PEM_LENGTH = 32 * 1024;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
/** Node's names for P-256 and P-384. */
const ACCEPTED_CURVES: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1']);

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, { keyType: 'rsa' | 'ec'; digest: string }> = new Map([
  [Oid.sha256WithRSAEncryption, { keyType: 'rsa', digest: 'sha256' }],
  [Oid.sha384WithRSAEncryption, { keyType: 'rsa', digest: 'sha384' }],
  [Oid.sha512WithRSAEncryption, { keyType: 'rsa', digest: 'sha512' }],
  [Oid.ecdsaWithSha256, { keyType: 'ec', digest: 'sha256' }],
  [Oid.ecdsaWithSha384, { keyType: 'ec', digest: 'sha384' }],
  [Oid.ecdsaWithSha512, { keyType: 'ec', digest: 'sha512' }],
]);

export interface VerifiedCsr {
  readonly keyType: 'rsa' | 'ec';
  /** DER SubjectPublicKeyInfo, re-exported by node:crypto (canonical form). */
  readonly subjectPublicKeyInfo: Buffer;
}

interface CsrParts {
  readonly info: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

function readCsr(der: Buffer): CsrParts {
  const request = readTopLevel(der, Tag.SEQUENCE);
  const [info, algorithm, signature, ...rest] = readChildren(der, request);
  if (rest.length > 0) throw new DerError('extra fields in CertificationRequest');
  const [version, subject, spki, attributes, ...more] = readChildren(der, expectTag(info, Tag.SEQUENCE));
  const versionBytes = contentOf(der, expectTag(version, Tag.INTEGER));
  if (versionBytes.length !== 1 || versionBytes[0] !== 0) throw new DerError('unsupported CSR version');
  expectTag(subject, Tag.SEQUENCE);
  expectTag(spki, Tag.SEQUENCE);
  if (attributes) expectTag(attributes, Tag.context(0));
  if (more.length > 0) throw new DerError('extra fields in CertificationRequestInfo');
  const [algorithmOid] = readChildren(der, expectTag(algorithm, Tag.SEQUENCE));
  return {
    info: encodingOf(der, info),
    subjectPublicKeyInfo: encodingOf(der, spki),
    signatureAlgorithm: oidOf(der, algorithmOid),
    signature: bitStringBytes(der, signature),
  };
}

function checkKeyStrength(key: KeyObject): 'rsa' | 'ec' {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new WeakKeyError(`RSA key of ${bits} bits is too weak; at least ${MIN_RSA_BITS} bits are required`, {
        keyType: 'rsa',
        bits,
      });
    }
    if (bits > MAX_RSA_BITS)
      throw new InvalidCsrError(`RSA key of ${bits} bits is too large (maximum ${MAX_RSA_BITS})`);
    const exponent = details.publicExponent ?? 0n;
    if (exponent < 3n || exponent % 2n === 0n) {
      throw new WeakKeyError(`RSA public exponent ${exponent} is not acceptable`, { keyType: 'rsa' });
    }
    return 'rsa';
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve;
    if (!curve || !ACCEPTED_CURVES.has(curve)) {
      throw new WeakKeyError(`EC curve ${curve ?? '(explicit parameters)'} is not accepted; use P-256 or P-384`, {
        keyType: 'ec',
        curve,
      });
    }
    return 'ec';
  }
  throw new WeakKeyError(
    `Key type ${key.asymmetricKeyType ?? 'unknown'} is not accepted; use RSA (2048 bits or more) or EC P-256/P-384`,
    { keyType: key.asymmetricKeyType },
  );
}

/** crypto.verify with a callback runs on libuv's thread pool. */
function verifyAsync(digest: string, data: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    verify(digest, data, key, signature, (error, valid) => (error ? reject(error) : resolve(valid)));
  });
}

/**
 * Parses a PEM CSR, checks the key policy and the self-signature.
 * Throws InvalidCsrError (unreadable, unsupported signature algorithm, bad
 * signature) or WeakKeyError (key not accepted).
 */
export async function verifyCertificateRequest(csrPem: string): Promise<VerifiedCsr> {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_PEM_LENGTH) {
    throw new InvalidCsrError('CSR must be a PEM string of at most 32 KiB');
  }
  const der = pemToDer(csrPem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  if (!der) throw new InvalidCsrError('Not a PEM certificate signing request (expected "BEGIN CERTIFICATE REQUEST")');

  let parts: CsrParts;
  try {
    parts = readCsr(der);
  } catch (error) {
    if (error instanceof DerError) throw new InvalidCsrError(`Malformed certificate signing request: ${error.message}`);
    throw error;
  }

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: parts.subjectPublicKeyInfo, format: 'der', type: 'spki' });
  } catch {
    throw new InvalidCsrError('The public key in the certificate signing request cannot be read');
  }
  const keyType = checkKeyStrength(publicKey);

  const algorithm = SIGNATURE_ALGORITHMS.get(parts.signatureAlgorithm);
  if (!algorithm) {
    throw new InvalidCsrError(
      `Unsupported CSR signature algorithm ${parts.signatureAlgorithm}; use SHA-256 (or stronger) with RSA or ECDSA`,
    );
  }
  if (algorithm.keyType !== keyType) {
    throw new InvalidCsrError('CSR signature algorithm does not match its key type');
  }
  let valid: boolean;
  try {
    valid = await verifyAsync(algorithm.digest, parts.info, publicKey, parts.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidCsrError('The certificate signing request signature does not verify');

  return { keyType, subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }) };
}
