import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { CertificateAuthorityInvalidError } from '../pki.errors';
import type { CertificateAuthority } from '../pki.types';
import { DerError, pemToDer, readCertificate, readTopLevel, contentOf, Tag } from './der';
import { keyIdentifier, Oid, Signer, signerFor } from './x509';

/** A CertificateAuthority parsed once: what every issuance needs. */
export interface CaContext {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly certificate: X509Certificate;
  readonly signer: Signer;
  /** DER of the CA subject Name, used unchanged as the issuer of what it signs. */
  readonly subject: Buffer;
  /** The CA's subjectKeyIdentifier, copied into authorityKeyIdentifier. */
  readonly keyIdentifier: Buffer;
  readonly notAfter: Date;
}

/** Keyed by the CA object, so issuing does not re-parse PEM (or re-check the key) every time. */
const contexts = new WeakMap<CertificateAuthority, CaContext>();

function invalid(message: string, cause?: unknown): CertificateAuthorityInvalidError {
  // Duck-typed: errors from node core are not `instanceof Error` inside Jest's sandbox.
  const reason =
    typeof cause === 'object' && cause !== null && 'message' in cause && typeof cause.message === 'string'
      ? `: ${cause.message}`
      : '';
  return new CertificateAuthorityInvalidError(`${message}${reason}`);
}

function parse(ca: CertificateAuthority): CaContext {
  const der = pemToDer(ca.certificatePem, ['CERTIFICATE']);
  if (!der) throw invalid('CA certificate is not a PEM certificate');
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(der);
  } catch (error) {
    throw invalid('CA certificate cannot be parsed', error);
  }
  try {
    privateKey = createPrivateKey(ca.privateKeyPem);
  } catch (error) {
    throw invalid('CA private key cannot be parsed', error);
  }
  if (!certificate.ca) throw invalid('CA certificate is not a CA certificate (basicConstraints CA:false)');
  if (!certificate.checkPrivateKey(privateKey)) throw invalid('CA private key does not match the CA certificate');
  const signer = signerFor(privateKey);
  if (!signer) {
    throw invalid(
      `CA key type ${privateKey.asymmetricKeyType ?? 'unknown'} is not supported (use RSA, EC P-256 or P-384)`,
    );
  }

  let parts: ReturnType<typeof readCertificate>;
  try {
    parts = readCertificate(der);
  } catch (error) {
    throw invalid('CA certificate cannot be parsed', error);
  }
  let id = keyIdentifier(parts.subjectPublicKeyInfo);
  const ski = parts.extensions.find((ext) => ext.oid === Oid.subjectKeyIdentifier);
  if (ski) {
    try {
      id = Buffer.from(contentOf(ski.value, readTopLevel(ski.value, Tag.OCTET_STRING)));
    } catch (error) {
      if (!(error instanceof DerError)) throw error;
      throw invalid('CA certificate has a malformed subjectKeyIdentifier', error);
    }
  }

  return {
    certificatePem: ca.certificatePem,
    privateKeyPem: ca.privateKeyPem,
    certificate,
    signer,
    subject: Buffer.from(parts.subject),
    keyIdentifier: id,
    notAfter: new Date(certificate.validTo),
  };
}

/**
 * The parsed form of `ca` (cached). Throws CertificateAuthorityInvalidError
 * if the PEMs are unusable.
 */
export function caContext(ca: CertificateAuthority): CaContext {
  const cached = contexts.get(ca);
  if (cached && cached.certificatePem === ca.certificatePem && cached.privateKeyPem === ca.privateKeyPem) {
    return cached;
  }
  const context = parse(ca);
  contexts.set(ca, context);
  return context;
}

/** As caContext, and also refuses a CA that has expired: what it signs would never verify. */
export function signingCaContext(ca: CertificateAuthority, now = Date.now()): CaContext {
  const context = caContext(ca);
  if (context.notAfter.getTime() <= now) {
    throw invalid(`CA certificate expired on ${context.notAfter.toISOString()}`);
  }
  return context;
}
