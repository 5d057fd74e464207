import { DerError, pemToDer, readCertificate } from './internal/der';
import { sha256Hex } from './internal/issue';
import { InvalidCertificateError } from './pki.errors';

/**
 * SHA-256 over the DER of the (first) certificate in `certificatePem`, as
 * lowercase hex without colons: the same value as
 * `X509Certificate.fingerprint256` with colons removed and lowercased.
 * Throws InvalidCertificateError if there is no readable certificate.
 */
export function certificateFingerprint(certificatePem: string): string {
  const der = typeof certificatePem === 'string' ? pemToDer(certificatePem, ['CERTIFICATE']) : undefined;
  if (!der) throw new InvalidCertificateError('Not a PEM certificate (expected "BEGIN CERTIFICATE")');
  try {
    readCertificate(der);
  } catch (error) {
    if (error instanceof DerError) throw new InvalidCertificateError(`Malformed certificate: ${error.message}`);
    throw error;
  }
  return sha256Hex(der);
}
