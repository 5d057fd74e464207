/** `rsa` = RSA-2048 (the default, what FT900 firmware uses); `ec` = ECDSA P-256. */
export type DeviceKeyType = 'rsa' | 'ec';

/** A CA as PEM text. Treat it as immutable: parsed keys are cached per object. */
export interface CertificateAuthority {
  certificatePem: string;
  privateKeyPem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#8 PEM; only present when the platform generated the key pair. */
  privateKeyPem?: string;
  /** Lowercase hex of the serial number's value (what `openssl x509 -serial` prints, lowercased). */
  serialNumber: string;
  /** Lowercase hex SHA-256 over the certificate DER, without colons. */
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
}
