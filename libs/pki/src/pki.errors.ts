import { DomainError } from '@app/common';

/** The CSR is not a PKCS#10 request we can read, or its self-signature does not verify. */
export class InvalidCsrError extends DomainError {
  readonly code = 'INVALID_CSR' as const;
  readonly kind = 'invalid' as const;
}

/** The key is not one we certify: RSA below 2048 bits, an EC curve other than P-256/P-384, or another key type. */
export class WeakKeyError extends DomainError {
  readonly code = 'WEAK_KEY' as const;
  readonly kind = 'invalid' as const;
}

/** No CA files in the certs directory: nothing can be issued until `npm run certs` has run. */
export class CertificateAuthorityMissingError extends DomainError {
  readonly code = 'PKI_CA_MISSING' as const;
  readonly kind = 'unavailable' as const;
}

/**
 * The CA files exist but cannot be used: unreadable PEM, key that does not
 * match the certificate, not a CA certificate, expired, or only one of the
 * two files present. Never repaired automatically: a new CA would invalidate
 * every device certificate.
 */
export class CertificateAuthorityInvalidError extends DomainError {
  readonly code = 'PKI_CA_INVALID' as const;
  readonly kind = 'unavailable' as const;
}

/** The input is not a PEM X.509 certificate. */
export class InvalidCertificateError extends DomainError {
  readonly code = 'INVALID_CERTIFICATE' as const;
  readonly kind = 'invalid' as const;
}
